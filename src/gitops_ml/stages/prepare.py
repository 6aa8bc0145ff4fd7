"""prepare: raw data -> data contract -> seeded (stratified) split -> Parquet."""

from __future__ import annotations

from gitops_ml import config, contract, data, params
from gitops_ml.atomic import atomic_path
from gitops_ml.errors import exit_on_user_error


@exit_on_user_error
def main() -> None:
    p = params.load()
    frame = data.read_raw(p)
    spec = data.resolve_features(frame, p)
    contract.enforce(frame, p, spec)
    train, test = data.split(frame[[*spec.columns, spec.target]], p)
    for part, path in ((train, config.TRAIN_FILE), (test, config.TEST_FILE)):
        with atomic_path(path) as tmp:
            part.to_parquet(tmp, index=False)
    spec.save()
    print(f"prepare: {len(train)} train / {len(test)} test rows, {len(spec.columns)} features")


if __name__ == "__main__":
    main()

"""The REST client the workflows use, against the recording double of GitHub's API."""

from __future__ import annotations

import pytest

from gitops_ml.core.errors import UserError
from gitops_ml.core.github import GitHub, GitHubError
from tests.template.support.github_double import GitHubDouble, serve


def client(double: GitHubDouble, token: str | None = None) -> GitHub:
    return GitHub(double.url, double.repo, token or double.token)


def test_every_page_is_read_following_githubs_link_header() -> None:
    with serve(GitHubDouble()) as gh:
        gh.add_pull(1, "a" * 40)
        for i in range(250):
            gh.add_comment(1, f"comment {i}")
        bodies = [c["body"] for c in client(gh).paginate("issues/1/comments")]
        assert bodies == [f"comment {i}" for i in range(250)]
        pages = gh.calls("GET", r"/issues/1/comments$")
        assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]
        assert all(r.query["per_page"] == "100" for r in pages)


def test_a_refused_call_names_the_call_the_status_and_the_fix() -> None:
    with serve(GitHubDouble()) as gh:
        with pytest.raises(GitHubError) as err:
            client(gh, token="wrong").call("GET", "pulls/1")
        assert err.value.status == 401
        assert "GET /repos/acme/ml/pulls/1" in err.value.render()
        assert "Bad credentials" in err.value.render() and "GITHUB_TOKEN" in err.value.render()


def test_a_missing_thing_is_none_where_absence_is_an_answer() -> None:
    with serve(GitHubDouble()) as gh:
        assert client(gh).get_or_none("releases/tags/model@v1.0.0") is None
        with pytest.raises(GitHubError, match="HTTP 404"):
            client(gh).call("GET", "pulls/404")


def test_a_release_asset_is_uploaded_to_the_releases_upload_url() -> None:
    with serve(GitHubDouble()) as gh:
        api = client(gh)
        created = api.call(
            "POST", "releases", {"tag_name": "m@v1.0.0", "name": "m v1.0.0", "body": "card"}
        )
        api.upload(created["upload_url"], "m-v1.0.0.skops", b"\x00model")
        (release,) = gh.releases
        assert release["assets"][0]["name"] == "m-v1.0.0.skops"
        assert gh.asset_data[release["assets"][0]["id"]] == b"\x00model"


def test_outside_actions_the_missing_variables_are_named() -> None:
    with pytest.raises(UserError, match="GITHUB_REPOSITORY, GITHUB_TOKEN"):
        GitHub.from_env({})
    assert (
        GitHub.from_env({"GITHUB_REPOSITORY": "o/r", "GH_TOKEN": "t"}).api
        == "https://api.github.com"
    )


def test_an_unreachable_api_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="cannot connect"):
        GitHub("http://127.0.0.1:9", "o/r", "t").call("GET", "pulls/1")

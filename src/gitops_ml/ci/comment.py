"""The one pull-request comment: report, reproducibility checks, gate verdict, training cost.

Built in the `pull_request` workflow (which has no write token) and posted by the
`workflow_run` workflow, so all logic lives here and the posting step stays thin. The
body never links local images: GitHub has no upload for them and we use no third-party
image host; the charts travel as PNGs in the run's artifact instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from gitops_ml.core import commands
from gitops_ml.core.atomic import write_text
from gitops_ml.core.config import (
    BODY_FILE,
    EXTRA_FILES,
    GATE_FILE,
    PR_FILE,
    REPORT_FILE,
    VERIFY_FILE,
)

# CML finds the comment to update by this title, so each PR keeps exactly one comment.
WATERMARK_TITLE = "gitops-ml pull-request report"
ARTIFACT_NAME = "pr-report"
MAX_CHARS = 60_000  # GitHub rejects comments over 65,536 characters

# Tags a report may use; any other HTML (img, picture, iframe, a, ...) is shown as text.
_PLAIN_TAGS = {"b", "br", "code", "details", "em", "i", "pre", "strong", "sub", "summary", "sup"}
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_SCHEME = r"[a-zA-Z][a-zA-Z0-9+.-]*:"
# One pass over text outside code: the first alternative that matches at a position wins,
# so a link's URL is never seen again as a bare URL.
_UNTRUSTED = re.compile(
    rf"(?P<image>!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]*)[^)]*\))"
    rf"|(?P<link>\[(?P<text>[^\]]*)\]\((?P<href>\s*{_SCHEME}[^)\s]*)[^)]*\))"
    rf"|(?P<definition>^ {{0,3}}\[[^\]]+\]:)"
    rf"|(?P<autolink><(?P<auto>{_SCHEME}[^>\s]*)>)"
    rf"|(?P<tag></?(?P<name>[a-zA-Z][\w-]*)(?P<attrs>[^>]*)>)"
    r"|(?P<url>\b(?:https?|ftp)://[^\s<>`|)\]]+)"
    r"|(?P<mention>(?<![\w`])@(?=[A-Za-z0-9]))"
    r"|(?P<ref>(?<!&)#(?=\d))",
    re.M,
)
ZERO_WIDTH = "\u200b"  # after @ or #: still readable, no longer a mention or a reference


def _image_note(alt: str, src: str) -> str:
    if re.match(_SCHEME, src):
        return f"*(remote image {alt or 'without a name'!r} not shown)*"
    return f"*(chart `{alt or Path(src).name}`: in the run's `{ARTIFACT_NAME}` artifact)*"


def _inert(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "image":
        return _image_note(match["alt"], match["src"])
    if kind == "link":
        return f"{match['text']} (`{match['href'].strip()}`)"
    if kind == "definition":
        return "\\" + match[0].lstrip()
    if kind == "autolink":
        return f"`{match['auto']}`"
    if kind == "tag":
        name = match["name"].lower()
        if name in _PLAIN_TAGS and not match["attrs"].strip(" /"):
            return match[0]
        if name == "img":
            src = re.search(r"\bsrc=[\"']?([^\"'\s>]+)", match["attrs"])
            return _image_note("", src.group(1) if src else "")
        return "&lt;" + match[0][1:]
    if kind == "url":
        return f"`{match[0]}`"
    return match[0] + ZERO_WIDTH  # mention or reference


def _outside_code(markdown: str, transform: Callable[[str], str]) -> str:
    """Apply `transform` to the text outside fenced code blocks and inline code spans."""
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
            out.append(line)
            continue
        else:
            prose.append(line)
            continue
        out.append(_spans("".join(prose), transform))
        prose = []
        out.append(line)
    out.append(_spans("".join(prose), transform))
    return "".join(out)


def _spans(text: str, transform: Callable[[str], str]) -> str:
    pieces, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        pieces += [transform(text[last : span.start()]), span.group(0)]
        last = span.end()
    return "".join([*pieces, transform(text[last:])])


def neutralise(markdown: str) -> str:
    """Make an untrusted report safe to post under the bot's name.

    The report is built by the pull request's own code, which a fork controls: images
    (which every reader's browser would load), links and raw HTML become inert text,
    and @mentions and #references stop notifying people or linking issues. Code blocks
    are left as they are: nothing inside them renders or notifies.
    """
    return _outside_code(markdown, lambda text: _UNTRUSTED.sub(_inert, text))


def truncate(markdown: str, limit: int = MAX_CHARS) -> str:
    """Cut an over-long body at a line break and say where the rest is."""
    if len(markdown) <= limit:
        return markdown
    tail = f"\n\n*Truncated: the full report is `report.md` in the `{ARTIFACT_NAME}` artifact.*\n"
    cut = markdown.rfind("\n", 0, limit - len(tail))
    return markdown[: cut if cut > 0 else limit - len(tail)] + tail


def sanitize(markdown: str) -> str:
    return truncate(neutralise(markdown))


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def build(
    report: str | None,
    checks: str | None,
    gate: str | None,
    extras: list[str] | None = None,
) -> str:
    """Assemble the comment; a missing part says why it is missing instead of vanishing.

    `extras` are optional sections (feature cost, tuning check, training cost) placed after
    the report; an absent one is simply left out, as those commands are not part of every
    pipeline. The link to the run is added by the poster, from the event (`footer`).
    """
    parts = [
        report.strip()
        if report
        else "## Pull-request report\n\nThe pipeline did not get as far as the report: "
        "see the workflow run's log."
    ]
    parts += [extra.strip() for extra in extras or [] if extra.strip()]
    parts.append(checks.strip() if checks else "### Reproducibility check: did not run")
    if gate is not None:
        parts.append(f"### Quality gate\n\n```text\n{gate.strip() or '(no output)'}\n```")
    else:
        parts.append("### Quality gate: did not run")
    return sanitize("\n\n".join(parts) + "\n")


def footer(url: str | None) -> str:
    """Where the rest is: the run's artifact. Added after `neutralise`, so the link works."""
    where = f"[workflow run]({url})" if url else "the workflow run"
    return f"<sub>Charts (PNG), report.md and logs: {where}, artifact `{ARTIFACT_NAME}`.</sub>"


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "ci-comment-body",
        "write report/comment.md (and report/pr.json for the posting workflow)",
    )
    parser.add_argument("--pr", type=int, help="pull-request number")
    parser.add_argument("--head-sha", help="the pull request's head commit")
    parser.add_argument("--out", type=Path, default=BODY_FILE)
    args = parser.parse_args(argv)
    extras = [text for text in map(_read, EXTRA_FILES) if text is not None]
    text = build(_read(REPORT_FILE), _read(VERIFY_FILE), _read(GATE_FILE), extras)
    write_text(args.out, text)
    if args.pr is not None:
        meta = {"pr": args.pr, "head_sha": args.head_sha}
        write_text(args.out.parent / PR_FILE.name, json.dumps(meta, sort_keys=True) + "\n")
    print(f"comment body: {args.out} ({len(text)} characters)")
    return 0

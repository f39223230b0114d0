"""axe-core in a Playwright page: the serious and critical violations of what it shows."""

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def serious_violations(page, within=None):
    """[(rule id, [targets])] of axe's serious and critical findings on the page, or only
    in the elements the CSS selectors `within` name.

    The source goes in through `evaluate` (the DevTools protocol), which the page's
    Content Security Policy does not apply to, as it would to an injected <script>."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    context = {"include": [[selector] for selector in within]} if within else None
    results = page.evaluate(
        "context => axe.run(context || document, {resultTypes: ['violations']})", context
    )
    return [
        (violation["id"], [node["target"] for node in violation["nodes"]])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]

"""axe-core in a Playwright page: the serious and critical violations of what it shows."""

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
BLOCKING_IMPACTS = ("serious", "critical")


def serious_violations(page, within=None):
    """axe's serious and critical findings on the page as it is now, or only in the
    elements the CSS selectors `within` name, each as "rule (impact): help at targets".

    The source goes in through `evaluate` (the DevTools protocol), which the page's
    Content Security Policy does not apply to, as it would to an injected <script>: the
    product's CSP stays as strict in tests as in use."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    context = {"include": [[selector] for selector in within]} if within else None
    results = page.evaluate(
        "context => axe.run(context || document, {resultTypes: ['violations']})", context
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]

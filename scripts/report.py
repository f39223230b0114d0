"""Builds a small report; shows how each parameter type reaches a script."""

import argparse
import os
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("title")
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--format", choices=["text", "csv", "markdown"], default="text")
    parser.add_argument("--section", action="append", default=[])
    options = parser.parse_args()
    audience = os.environ.get("REPORT_AUDIENCE", "(not set)")
    print(f"::progress 0 Starting {options.title!r} for {audience}")
    print(f"Sections: {', '.join(options.section) or 'none'}; format: {options.format}")
    generator = random.Random(options.title)
    flagged = 0
    for row in range(1, options.rows + 1):
        score = generator.random()
        flagged += score < options.threshold
        if options.verbose:
            separator = {"csv": ",", "markdown": " | "}.get(options.format, "\t")
            print(
                separator.join(
                    [str(row), f"{score:.3f}", "low" if score < options.threshold else "ok"]
                )
            )
        print(f"::progress {row * 100 // options.rows} Row {row} of {options.rows}")
    print(f"{options.title}: {options.rows} rows, {flagged} below {options.threshold}")


if __name__ == "__main__":
    main()

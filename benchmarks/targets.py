"""The issue's targets, judged over the rounds of one run.

Each target is a ratio measured once per round (both sides timed in that round) and a rule
it must satisfy. Its verdict reads all rounds: "met" when the rule holds in every round,
"not met" when it fails in every round, "unclear" otherwise (noise, or a value near its
limit).
A comparison with a peer whose final field disagrees with float64 is "not comparable".
"""

import statistics

import problems

QUANTITIES = (("forward", "forward_ms"), ("gradient", "gradient_ms"),
              ("peak memory", "peak_rss_mb"))


def spread(values, digits=2, unit=""):
    """'median (lowest to highest)' of one value per round; the value alone for one round."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}{unit}"
    low, median, high = min(values), statistics.median(values), max(values)
    return f"{median:.{digits}f}{unit} ({low:.{digits}f} to {high:.{digits}f})"


def verdict(holds):
    """'met', 'not met' or 'unclear (k of n rounds)' from the rule's outcome per round."""
    if all(holds):
        return "met"
    if not any(holds):
        return "NOT met"
    return f"unclear (met in {sum(holds)} of {len(holds)} rounds)"


def size_label(entry):
    """'nx x nt' in 1D, 'n x n x nt' in 2D."""
    n, nt = entry["nx"], entry["nt"]
    return f"{n} x {nt}" if entry.get("dim", 1) == 1 else f"{n} x {n} x {nt}"


def agrees(entry, name):
    """Both the course and the peer within problems.AGREEMENT of the float64 run."""
    return max(entry["errors"]["course"], entry["errors"][name]["error"]) < problems.AGREEMENT


def ratios(entry, numerator, denominator):
    """numerator / denominator in each round; each a (code, key) pair."""
    return [r[numerator[0]][numerator[1]] / r[denominator[0]][denominator[1]]
            for r in entry["rounds"]]


def row(target, where, values, limit, below=True, digits=2, unit="x"):
    """One line of the targets table: values must stay below (or above) limit each round."""
    holds = [v <= limit if below else v >= limit for v in values]
    return [target, where, spread(values, digits, unit), verdict(holds)]


def compare_rows(entry):
    """The targets measured by one size's rounds: C loop, gradient / forward, the check,
    and ahead of each peer on each quantity it has."""
    where = size_label(entry)
    course = ("course", "forward_ms")
    rows = []
    if entry["dim"] == 1:
        rows.append(row("forward within 1.5x of the C loop (course / C)", where,
                        ratios(entry, course, ("c_loop", "forward_ms")), 1.5))
    rows.append(row("gradient at most 3x the forward (gradient / forward)", where,
                    ratios(entry, ("course", "gradient_ms"), course), 3.0))
    for name in problems.PEERS_1D if entry["dim"] == 1 else problems.PEERS_2D:
        rows += peer_rows(entry, name, where)
    if entry["dim"] == 1:
        for program in ("forward", "gradient"):
            rows.append(row(f"instability check under 5% of the {program} (cost)", where,
                            check_cost(entry, program), 5.0, digits=1, unit="%"))
    return rows


def check_cost(entry, program, against="course_unchecked"):
    """The run-time check's cost [%] in each round: `program` ("forward" or "gradient")
    with the check against without it; against="course_again", against another process
    with the same programs (what differs between processes alone)."""
    key = f"{program}_turns_ms"
    return [100 * (v - 1) for v in ratios(entry, ("course", key), (against, key))]


def peer_rows(entry, name, where):
    """Ahead of one peer on forward, gradient and peak memory (peer / course above 1)."""
    if name in entry["skipped"]:
        return [[f"ahead of {name}", where, "-", f"not measured: {entry['skipped'][name]}"]]
    rows = []
    for label, key in QUANTITIES:
        if key not in entry["rounds"][0][name]:
            continue  # Devito has no gradient
        line = row(f"ahead of {name} on {label} ({name} / course)", where,
                   ratios(entry, (name, key), ("course", key)), 1.0, below=False)
        if not agrees(entry, name):
            line[-1] = "not comparable (disagrees with float64)"
        rows.append(line)
    return rows


def standing_rows(results):
    """Earlier issues' targets, measured once: the lean gradient's memory flat in nt at the
    sweep's largest nx, and the seed's experiment set at least 5x faster."""
    largest = max(r["nx"] for r in results["sweep"])
    memory = [r["reversible"]["peak_rss_mb"] for r in results["sweep"] if r["nx"] == largest]
    seconds = {name: e["seconds"] for name, e in results["experiments"].items()}
    return [row("gradient's peak memory flat in nt (largest / smallest)", f"nx = {largest}",
                [max(memory) / min(memory)], 1.1),
            row("seed's experiment set at least 5x faster (seed / course)", "end to end",
                [seconds["seed"] / seconds["course"]], 5.0, below=False, digits=1)]


def table(results):
    """Every target as a markdown table."""
    lines = ["| target | at | measured: median (range) over rounds | verdict |",
             "|---|---|---|---|"]
    rows = [line for entry in results["compare"] for line in compare_rows(entry)]
    return "\n".join(lines + ["| " + " | ".join(line) + " |"
                              for line in rows + standing_rows(results)])

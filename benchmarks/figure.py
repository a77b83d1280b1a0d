"""scaling.png: time and peak memory of the sweep's solvers against nt (RESULTS.md's figure)."""

import problems


def largest_nx(rows):
    """The sweep's rows at its largest nx, in order of nt."""
    nx = max(row["nx"] for row in rows)
    return sorted((row for row in rows if row["nx"] == nx), key=lambda row: row["nt"])


def plot(rows, path):
    """Time and peak memory against nt at the sweep's largest nx: scaling.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = largest_nx(rows)
    nts = [row["nt"] for row in sweep]
    fig, (ax_time, ax_memory) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for solver in problems.SOLVERS:
        ax_time.loglog(nts, [row[solver]["gradient_ms"] for row in sweep], "o-",
                       label=f"{solver}: gradient")
        ax_memory.loglog(nts, [row[solver]["peak_rss_mb"] for row in sweep], "o-", label=solver)
    ax_time.loglog(nts, [row["reversible"]["forward_ms"] for row in sweep], "k--",
                   label="course: forward")
    ax_time.loglog(nts, [row["c_loop"]["forward_ms"] for row in sweep], "k:",
                   label="C loop: forward")
    ax_time.set(xlabel="time steps nt", ylabel="time [ms]", title=f"Time, nx = {sweep[0]['nx']}")
    ax_memory.set(xlabel="time steps nt", ylabel="peak RSS [MB]",
                  title=f"Peak memory of one gradient, nx = {sweep[0]['nx']}")
    ax_time.legend()
    ax_memory.legend()
    fig.savefig(path, dpi=100)
    plt.close(fig)

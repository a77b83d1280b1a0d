"""RESULTS.md and scaling.png from a results file: tables, the figure (`figure.py`), and the
values that RESULTS.template.md's hand-written prose refers to by name ({name}, `str.format`).
"""

import pathlib
import statistics

import figure
import problems
import targets

HERE = pathlib.Path(__file__).resolve().parent
TEMPLATE = HERE / "RESULTS.template.md"


def joined(values, fmt):
    """'a and b' (or 'a, b and c') of values formatted with `fmt`."""
    texts = [format(value, fmt) for value in values]
    return " and ".join([", ".join(texts[:-1]), texts[-1]] if len(texts) > 1 else texts)


def markdown_rows(rows):
    return "\n".join("| " + " | ".join(map(str, row)) + " |" for row in rows)


def by_dim(results, dim):
    return [entry for entry in results["compare"] if entry["dim"] == dim]


def code_median(entry, code, key):
    """The median of one code's `key` over the rounds."""
    return statistics.median([r[code][key] for r in entry["rounds"]])


def peers_measured(entries):
    """The peers timed in any of these entries, in the order of problems' lists."""
    names = problems.PEERS_1D + problems.PEERS_2D
    return [n for n in dict.fromkeys(names) if any(n in e["rounds"][0] for e in entries)]


def peer_table(entries):
    """The course, the C loop (1D) and each peer side by side: median times and, per peer,
    the median and range of peer / course over the rounds."""
    names, one_d = peers_measured(entries), entries[0]["dim"] == 1
    header = (["n x n x nt" if not one_d else "nx x nt", "", "course"] + ["C loop"] * one_d
              + [text for name in names for text in (name, f"{name} / course")])
    rows = [header, ["---"] * len(header)]
    for entry in entries:
        for label, key in targets.QUANTITIES:
            unit = "MB" if key == "peak_rss_mb" else "ms"
            course = code_median(entry, "course", key)
            row = [targets.size_label(entry), label, f"{course:.1f} {unit}"]
            if one_d:
                c_ms = code_median(entry, "c_loop", key) if key == "forward_ms" else None
                row.append("-" if c_ms is None else f"{c_ms:.1f} ms")
            for name in names:
                if key not in entry["rounds"][0].get(name, {}):
                    row += ["-", "-"]
                    continue
                ratios = targets.ratios(entry, (name, key), ("course", key))
                row += [f"{code_median(entry, name, key):.1f} {unit}", targets.spread(ratios)]
            rows.append(row)
    return markdown_rows(rows)


def agreement_list(entries):
    """One line per size: each code's relative L2 difference from float64 (and the
    course's), flagged where a code disagrees."""
    lines = []
    for entry in entries:
        parts = [f"course {entry['errors']['course']:.1e}"]
        for name, errors in entry["errors"].items():
            if name != "course":
                flag = "" if targets.agrees(entry, name) else " **disagrees**"
                parts.append(f"{name} {errors['error']:.1e} ({errors['vs_course']:.1e}){flag}")
        lines.append(f"- {targets.size_label(entry)}: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def check_values(entries):
    """The instability check's table and what the prose says of the compiled programs."""
    rows, rounds = [], [r for e in entries for r in e["rounds"]]
    for entry in entries:
        row = [targets.size_label(entry)]
        for program in ("forward", "gradient"):
            row += [f"{code_median(entry, code, f'{program}_turns_ms'):.2f}"
                    for code in ("course", "course_unchecked")]
            row.append(targets.spread(targets.check_cost(entry, program), 1, "%"))
        rows.append(row + [targets.spread(targets.check_cost(entry, program, "course_again"),
                                          1, "%") for program in ("forward", "gradient")])
    same = all(r["course"]["results"] == r["course_unchecked"]["results"] for r in rounds)
    return dict(check_table=markdown_rows(rows),
                check_turns=max(r["course"]["check_turns"] for r in rounds),
                check_turns_large=min(r["course"]["check_turns"] for r in rounds),
                **{key: joined(sorted({r[code]["conditionals"] for r in rounds}), "d")
                   for key, code in (("conditionals", "course"),
                                     ("unchecked_conditionals", "course_unchecked"))},
                unchecked_same="equal in every round" if same else "NOT equal in every round")


def skipped(entries):
    """'name (why); ...' of the peers not run, or 'none'."""
    why = {name: text for entry in entries for name, text in entry["skipped"].items()}
    return "; ".join(f"{name} ({text})" for name, text in why.items()) or "none"


def per_step(entries, code, fmt=".2f"):
    """'a and b': one code's median forward time per step [us] at each entry."""
    return joined([1e3 * code_median(e, code, "forward_ms") / e["nt"] for e in entries], fmt)


def with_peer(entries, name):
    """The entries in which `name` was run."""
    return [e for e in entries if name in e["rounds"][0]]


def compare_values(results):
    one_d, two_d = by_dim(results, 1), by_dim(results, 2)
    solve = [(e["errors"]["devito"]["solve_error"], targets.size_label(e)) for e in one_d
             if "devito" in e["errors"]]
    threads = {name: r[name]["threads"] for e in results["compare"] for r in e["rounds"]
               for name in r if name.startswith("deepwave")}
    return dict(check_values(one_d), **memory_values(one_d), **pinned_values(one_d, "1d"),
                **pinned_values(two_d, "2d"), peer_table_1d=peer_table(one_d),
                peer_table_2d=peer_table(two_d), agreement_1d=agreement_list(one_d),
                agreement_2d=agreement_list(two_d),
                skipped_1d=skipped(one_d), skipped_2d=skipped(two_d),
                devito_solve=", ".join(f"{e:.1e} at {s}" for e, s in solve)
                or "not measured (Devito not run)",
                threads=", ".join(f"{n} {t}" for n, t in threads.items()) or "(not run)",
                c_us=per_step(one_d, "c_loop"), course_us=per_step(one_d, "course"),
                devito_us=per_step(with_peer(one_d, "devito"), "devito") or "(not run)",
                course_2d_forward_us=per_step(two_d, "course", ".1f"),
                deepwave_2d_us=per_step(with_peer(two_d, "deepwave"), "deepwave", ".1f")
                or "(not run)",
                deepwave_1_thread_2d_us=per_step(with_peer(two_d, "deepwave_1_thread"),
                                                 "deepwave_1_thread", ".1f") or "(not run)",
                compare_sizes=joined([targets.size_label(e) for e in one_d], "s"),
                backward_2d=joined([(code_median(e, "course", "gradient_ms")
                                     - code_median(e, "course", "forward_ms"))
                                    / code_median(e, "course", "forward_ms") for e in two_d],
                                   ".1f"))


def pinned_values(entries, suffix):
    """The course split across the cores (XLA's default) and pinned to one core, over the
    rounds: gradient / forward and deepwave / course on the forward (median and range at
    each entry), and the median gradient [ms]."""
    def spreads(among, over, under):
        return joined([targets.spread(targets.ratios(e, over, under)) for e in among],
                      "s") or "(not run)"

    values = {}
    for name, code in (("split", "course"), ("pinned", "course_1_core")):
        ran = with_peer(entries, code)
        values[f"{name}_ratio_{suffix}"] = spreads(ran, (code, "gradient_ms"),
                                                   (code, "forward_ms"))
        values[f"{name}_deepwave_forward_{suffix}"] = spreads(
            with_peer(ran, "deepwave"), ("deepwave", "forward_ms"), (code, "forward_ms"))
        values[f"{name}_gradient_ms_{suffix}"] = joined(
            [code_median(e, code, "gradient_ms") for e in ran], ".0f") or "(not run)"
    return values


def memory_values(entries):
    """Each code's peak memory once imported (medians over every round), and how far its
    peak rose above that at each size."""
    values = {}
    for code in ("course", "devito", "deepwave"):
        ran = with_peer(entries, code)
        imported = [r[code]["import_rss_mb"] for e in ran for r in e["rounds"]]
        values[f"import_{code}_mb"] = f"{statistics.median(imported):.0f}" if ran else "(not run)"
        values[f"above_{code}_mb"] = joined([code_median(e, code, "peak_rss_mb")
                                             - code_median(e, code, "import_rss_mb")
                                             for e in ran], ".0f") or "(not run)"
    return values


def sweep_values(results):
    rows, lines = results["sweep"], []
    for row in rows:
        for solver in problems.SOLVERS:
            r = row[solver]
            lines.append([f"{row['nx']} x {row['nt']}", solver, f"{r['forward_ms']:.2f}",
                          f"{r['gradient_ms']:.1f}", f"{r['gradient_ms'] / r['forward_ms']:.1f}",
                          f"{r['peak_rss_mb']:.0f}", f"{row['c_loop']['forward_ms']:.2f}"])
    largest = figure.largest_nx(rows)
    first, last = largest[0], largest[-1]
    growth = (last["autodiff"]["peak_rss_mb"] - first["autodiff"]["peak_rss_mb"])
    steps = max(last["nt"] - first["nt"], 1)
    return dict(sweep_table=markdown_rows(lines), sweep_nx=first["nx"],
                autodiff_mb_per_1000=f"{1000 * growth / steps:.0f}",
                level_mb_per_1000=f"{1000 * first['nx'] * 4 / 2**20:.0f}")


def experiment_values(results):
    adam_steps, lbfgs_iterations = results["plan"]["experiment_steps"]
    rows = [[name, f"{e['seconds']:.1f}", f"{e['constant_error']:.1e}", f"{e['adam_rmse']:.4f}",
             f"{e['lbfgs_rmse']:.4f}"] for name, e in results["experiments"].items()]
    return dict(experiments_table=markdown_rows(rows), adam_steps=adam_steps,
                lbfgs_iterations=lbfgs_iterations)


def core_values(cores, count):
    """The course's 2D loops pinned to one core against on all `count` (profile_2d_cores)."""
    one, all_ = cores["1"], cores[str(count)]
    forward, gradient = "2D, the course's", "2D gradient, the course's"

    def steps(run):  # the gradient's time per step, in forward steps
        return f"{run[gradient]['us_per_step'] / run[forward]['us_per_step']:.1f}"

    return dict(one_core_forward_us=f"{one[forward]['us_per_step']:.1f}",
                all_cores_forward_us=f"{all_[forward]['us_per_step']:.1f}",
                one_core_gradient_us=f"{one[gradient]['us_per_step']:.1f}",
                all_cores_gradient_us=f"{all_[gradient]['us_per_step']:.1f}",
                one_core_gradient_steps=steps(one), all_cores_gradient_steps=steps(all_),
                one_core_split="split" if one[forward]["parallel"] else "not split",
                all_cores_split="split" if all_[forward]["parallel"] else "not split")


def profile_values(results):
    profiles, profiles_2d = results["profiles"], results["profiles_2d"]
    sizes = [f"{p['nx']} x {p['nt']}" for p in profiles] + [
        f"{p['n']} x {p['n']} x {p['nt']}" for p in profiles_2d]
    rows = [[size, name, f"{v['kernels']:.2f}", f"{v['copies']:.2f}", f"{v['arithmetic']:.1f}",
             "yes" if v["parallel"] else "no",
             f"{v['us_per_step']:.2f}"]
            for size, p in zip(sizes, profiles + profiles_2d) for name, v in p["variants"].items()]

    def each(name, key="us_per_step", fmt=".2f", among=profiles):
        return joined([p["variants"][name][key] for p in among], fmt)

    def backward_over_forward(p, name="backward, one array"):
        return p["variants"][name]["us_per_step"] / p["variants"]["forward, pad"]["us_per_step"]

    pair, adjoint, one = "backward, (a, b)", "backward, adjoint field", "backward, one array"
    course_2d = next(name for name in profiles_2d[0]["variants"] if "course" in name)
    sponge_2d = next(name for name in profiles_2d[0]["variants"] if "sponge" in name)

    def each_2d(name):
        return each(name, "us_per_step", ".1f", profiles_2d)

    differences = [v.get("max_difference", 0) for p in profiles + profiles_2d
                   for v in p["variants"].values()]
    return dict(profile_table=markdown_rows(rows), profile_difference=f"{max(differences):.1e}",
                profile_sizes=joined([p["nx"] for p in profiles], "d"),
                backward_steps=joined([backward_over_forward(p) for p in profiles], ".1f"),
                adjoint_steps=joined([backward_over_forward(p, adjoint) for p in profiles], ".1f"),
                loop_ratio=joined([1 + backward_over_forward(p) for p in profiles], ".1f"),
                backward_kernels=each(one, "kernels"), adjoint_kernels=each(adjoint, "kernels"),
                forward_kernels=each("forward, pad", "kernels"),
                pair_ops=each(pair, "arithmetic", ".1f"),
                adjoint_ops=each(adjoint, "arithmetic", ".1f"),
                pair_us=each(pair), adjoint_us=each(adjoint), one_us=each(one),
                pad_us=each("forward, pad"), concatenate_us=each("forward, concatenate"),
                ghost_us=each("forward, ghost points"),
                size_2d=sizes[len(profiles)],
                padded_1_us=each_2d("2D, padded copy, 1 step per iteration"),
                padded_2_us=each_2d("2D, padded copy, 2 steps"),
                shifted_1_us=each_2d("2D, rows shifted, 1 step"),
                course_2d_us=each_2d(course_2d),
                sponge_2d_us=each_2d(sponge_2d),
                unroll_2d=profiles_2d[0]["variants"][course_2d]["unroll"],
                **core_values(profiles_2d[0]["cores"], results["machine"]["cores"]),
                copies_1_2d=each("2D, rows shifted, 1 step", "copies", ".2f", profiles_2d),
                copies_course_2d=each(course_2d, "copies", ".2f", profiles_2d),
                ops_course_2d=each(course_2d, "arithmetic", ".1f", profiles_2d),
                ops_sponge_2d=each(sponge_2d, "arithmetic", ".1f", profiles_2d))


def shard_values(results):
    one, two = results["shards"]
    rows = [[r["devices"], f"{r['forward_ms']:.1f}", f"{r['gradient_ms']:.1f}",
             f"{r['gradient_ms'] / r['n_shots']:.2f}", f"{r['partitioned_gradient_ms']:.1f}",
             f"{r['load']:.1f}"] for r in (one, two)]
    return dict(shard_table=markdown_rows(rows), n_shots=one["n_shots"], shot_nx=one["nx"],
                shot_nt=one["nt"], collectives=two["collectives_in_loops"],
                partitioned_collectives=two["partitioned_collectives_in_loops"],
                shot_difference=f"{max(r['max_difference'] for r in (one, two)):.1e}",
                output_sharding=two["output_sharding"],
                gradient_difference=f"{max(r['gradient_difference'] for r in (one, two)):.1e}",
                shard_forward_speedup=f"{one['forward_ms'] / two['forward_ms']:.2f}",
                shard_gradient_speedup=f"{one['gradient_ms'] / two['gradient_ms']:.2f}")


def values(results):
    """Every name RESULTS.template.md uses, filled from the results."""
    load = results["load"]
    return dict(results["machine"], load_start=", ".join(map(str, load["start"])),
                load_end=", ".join(map(str, load["end"])), rounds=results["plan"]["rounds"],
                repeats=results["plan"]["repeats"], agreement=f"{problems.AGREEMENT:g}",
                targets_table=targets.table(results), **compare_values(results),
                **sweep_values(results), **experiment_values(results),
                **profile_values(results), **shard_values(results),
                **{f"dispatch_{k}": f"{v:.0f}" for k, v in results["dispatch"].items()
                   if k != "load"})


def render(results):
    """RESULTS.md's text."""
    return TEMPLATE.read_text().format_map(values(results))


def write(results, out):
    """RESULTS.md and scaling.png into the folder `out`."""
    (out / "RESULTS.md").write_text(render(results))
    figure.plot(results["sweep"], out / "scaling.png")

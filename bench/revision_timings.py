"""How long each revision takes on a filled old database, beside what `--dry-run` estimates.

Builds the migration benchmark's database at 451aebb31d03 (same deterministic rows), then
upgrades one revision at a time, printing per revision the rows it rewrites, the measured
seconds, the plan's estimate and the measured seconds per rewritten row per copy pass (the
figure `Dialect.copy_seconds_per_row` holds). The runbook's downtime table comes from here:
`python -m bench revision_timings [--server URL] [--runs N]`.
"""

import argparse
import time

from bench.migration_bench import TwoDatabases, add_data_arguments, build
from compat import dialect_for, make_engine
from migrations import plan, runner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_data_arguments(parser, runs=1000)
    args = parser.parse_args()
    with TwoDatabases(args.server) as (uri, _):
        build(uri, args.runs, args.params_per_run, args.steps)
        engine = make_engine(uri)
        dialect = dialect_for(engine.dialect.name)
        steps = plan.make_plan(engine).steps
        print(f"{'revision':<13} {'rows':>9} {'measured':>9} {'estimate':>9} {'s/row/pass':>11}")
        for step in steps:
            started = time.perf_counter()
            runner.upgrade(engine, step.revision)
            seconds = time.perf_counter() - started
            rows = sum(step.rows.values())
            passes = plan.rewrite_on(dialect, step.revision).passes
            per_row = f"{seconds / (rows * passes):.2e}" if rows and passes else "-"
            print(
                f"{step.revision:<13} {rows:>9,} {seconds:>8.2f}s {step.seconds:>8.2f}s "
                f"{per_row:>11}"
            )
        engine.dispose()


if __name__ == "__main__":
    main()

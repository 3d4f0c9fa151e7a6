"""`roundtable import-csv`: ideas, votes and comments from another tool (cli_commands in
ideas/domain.py)."""

from pathlib import Path

import click

from ideas.csv_import import MAX_ERRORS_SHOWN, CSVRefused, parse_csv
from ideas.csv_queries import import_csv
from portal.cli_helpers import load_settings, require_schema, run_with_database


@click.command("import-csv")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["ideas", "votes", "comments"]), required=True, help="What the file holds.")
def import_csv_command(path: Path, kind: str) -> None:
    """Import ideas, votes or comments from another tool's CSV file (columns: see README), all or nothing."""
    settings = load_settings()
    require_schema(settings)
    try:
        parsed = parse_csv(path.read_bytes(), kind)
        counts = run_with_database(settings, lambda db: import_csv(db, parsed))
    except CSVRefused as refused:
        shown = refused.problems[:MAX_ERRORS_SHOWN]
        more = len(refused.problems) - len(shown)
        lines = [f"Nothing was imported from {path}:", *(f"  {problem}" for problem in shown)]
        if more:
            lines.append(f"  ... and {more} more")
        raise click.ClickException("\n".join(lines)) from None
    click.echo("Imported " + ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items()) + ".")

"""Extraction assets: the daily job reads the live sources named in $CSW_EXTRACT before it ingests.

`CSW_EXTRACT` lists the sources to extract (`app_db`, `stripe`, `ticketing`, comma-separated);
unset, nothing is extracted and drops are expected from elsewhere, as before. Each listed source
gets an asset `extract/<source>` upstream of its ingest, so a run (the 06:00 schedule, the CLI, a
backfill) first writes the drop of its as-of date, then ingests it. A drop that exists already
(a re-run of a day) or an earlier date than the newest drop is left alone: extraction only ever
adds the newest drop.

Settings: app_db `CSW_APP_DB_DSN`; stripe `STRIPE_API_KEY`; ticketing `ZENDESK_SUBDOMAIN` and
`ZENDESK_EMAIL` + `ZENDESK_API_TOKEN` (or `ZENDESK_OAUTH_TOKEN`). Secrets stay environment
variables (dg.EnvVar), never resource values shown in the UI.
"""

import datetime as dt
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import dagster as dg

from ingest.extract.errors import ExtractError
from orchestration.partitions import as_of_date
from orchestration.settings import Settings

ENV_EXTRACT = "CSW_EXTRACT"
ENV_ZENDESK_SUBDOMAIN = "ZENDESK_SUBDOMAIN"
EXTRACTABLE = ("app_db", "stripe", "ticketing")
REQUIRED_ENV = {
    "app_db": ("CSW_APP_DB_DSN",),
    "stripe": ("STRIPE_API_KEY",),
    "ticketing": (ENV_ZENDESK_SUBDOMAIN,),
}
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def extracted_sources() -> tuple[str, ...]:
    """The sources $CSW_EXTRACT names, each with its settings present; else a SystemExit saying what."""
    listed = [s.strip() for s in os.environ.get(ENV_EXTRACT, "").split(",") if s.strip()]
    unknown = [s for s in listed if s not in EXTRACTABLE]
    if unknown:
        raise SystemExit(
            f"{ENV_EXTRACT}={os.environ[ENV_EXTRACT]!r}: unknown source {', '.join(unknown)}; "
            f"expected some of {', '.join(EXTRACTABLE)}"
        )
    for source in listed:
        missing = [v for v in REQUIRED_ENV[source] if not os.environ.get(v)]
        if missing:
            raise SystemExit(
                f"{ENV_EXTRACT} lists {source} but {', '.join(missing)} is not set; set it or "
                f"remove {source} from {ENV_EXTRACT}"
            )
    return tuple(dict.fromkeys(listed))


class ExtractResource(dg.ConfigurableResource):
    """Where drops go and how to reach each live source (secrets read from the environment)."""

    extracts_dir: str
    app_db_dsn: str | None = None
    stripe_api_key: str | None = None
    zendesk_subdomain: str | None = None


def build_extract_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    sources = extracted_sources()
    return {
        "extract": ExtractResource(
            extracts_dir=str(settings.extracts_dir),
            app_db_dsn=dg.EnvVar("CSW_APP_DB_DSN") if "app_db" in sources else None,
            stripe_api_key=dg.EnvVar("STRIPE_API_KEY") if "stripe" in sources else None,
            zendesk_subdomain=dg.EnvVar(ENV_ZENDESK_SUBDOMAIN) if "ticketing" in sources else None,
        )
    }


def build_extract_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """One asset per source listed in $CSW_EXTRACT (none when it is unset)."""
    return [_extract_asset(source, partitions_def) for source in extracted_sources()]


def upstream_of_ingest(
    ingest_assets: Sequence[dg.AssetsDefinition], extract_assets: Sequence[dg.AssetsDefinition]
) -> list[dg.AssetsDefinition]:
    """Make each source's raw tables depend on its extraction, so a run extracts, then ingests."""
    by_source = {a.key.path[-1]: a.key for a in extract_assets}
    if not by_source:
        return list(ingest_assets)

    def add_dep(spec: dg.AssetSpec) -> dg.AssetSpec:
        source = spec.key.path[-1].split("__", 1)[0]
        if source not in by_source:
            return spec
        return spec.replace_attributes(deps=[*spec.deps, dg.AssetDep(by_source[source])])

    return dg.map_asset_specs(add_dep, list(ingest_assets))


def _newer_or_same_drop(extracts_dir: Path, source: str, day: str) -> str | None:
    folder = extracts_dir / source
    if not folder.is_dir():
        return None
    dates = [p.name for p in folder.iterdir() if p.is_dir() and _DATE_DIR.match(p.name)]
    later = [d for d in dates if d >= day]
    return max(later) if later else None


def _extract_asset(source: str, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["extract", source]),
        group_name="extract",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"postgres"} if source == "app_db" else {"python"},
        description=f"The {source} drop of the run's as-of date, read from the live source "
        "(complete or absent; a drop that exists is left alone).",
    )
    def extract_drop(
        context: dg.AssetExecutionContext, extract: ExtractResource
    ) -> dg.MaterializeResult:
        day = as_of_date(context)
        root = Path(extract.extracts_dir)
        existing = _newer_or_same_drop(root, source, day.isoformat())
        if existing is not None:
            context.log.info(f"{source}: a drop dated {existing} exists; nothing to extract")
            return dg.MaterializeResult(metadata={"extracted": False, "newest_drop": existing})
        try:
            result = _run_extractor(source, extract, root, day, context.log.info)
        except ExtractError as exc:
            raise dg.Failure(description=f"extract {source}: {exc.message}") from None
        return dg.MaterializeResult(
            metadata={
                "extracted": True,
                "drop": str(result.drop_dir),
                **{name: dg.MetadataValue.int(rows) for name, rows in result.row_counts.items()},
            }
        )

    return extract_drop


def _run_extractor(
    source: str, extract: ExtractResource, root: Path, day: dt.date, say: Callable[[str], None]
):
    if source == "app_db":
        from ingest.extract.app_db import extract_app_db

        return extract_app_db(extract.app_db_dsn, root, day, progress=say)
    if source == "stripe":
        from ingest.extract.stripe_api import extract_stripe

        return extract_stripe(extract.stripe_api_key, root, day, progress=say)
    from ingest.extract.zendesk import credentials_from_env, extract_zendesk

    return extract_zendesk(
        extract.zendesk_subdomain, credentials_from_env(), root, day, progress=say
    )

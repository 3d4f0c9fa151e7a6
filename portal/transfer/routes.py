"""The admin page that downloads the whole instance as a JSON archive."""

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.access import role
from portal.templating import render
from portal.transfer import archive

ADMINS_ONLY = role("admin", "Only admins can export the portal.")


@ADMINS_ONLY
async def show_export(request: Request) -> Response:
    return render(request, "transfer/show_export.html", {"left_out": archive.LEFT_OUT})


@ADMINS_ONLY
async def download_export(request: Request) -> Response:
    document = await archive.export_archive(request.app.state.db)
    name = f"roundtable-{document['exported_at'][:16].replace(':', '').replace('T', '-')}.json"
    return Response(
        json.dumps(document, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


routes = [
    Route("/admin/export", show_export, name="show_export"),
    Route("/admin/export/download", download_export, name="download_export"),
]

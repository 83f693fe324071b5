"""Files handed out as downloads, the same through the API and the console.

return downloads.onboarding_template("terraform", settings)   # cloudwarden-onboarding.tf
"""

from __future__ import annotations

from typing import Literal

from fastapi.responses import Response

from cloudwarden.aws.template import render_declared
from cloudwarden.config import Settings

TemplateFormat = Literal["cloudformation", "terraform"]
TEMPLATE_MEDIA_TYPES: dict[TemplateFormat, tuple[str, str]] = {
    "cloudformation": ("application/yaml; charset=utf-8", "cloudwarden-onboarding.yaml"),
    "terraform": ("text/plain; charset=utf-8", "cloudwarden-onboarding.tf"),
}


def onboarding_template(fmt: TemplateFormat, settings: Settings) -> Response:
    """The onboarding template for this installation's principal, as an attachment."""
    media_type, filename = TEMPLATE_MEDIA_TYPES[fmt]
    return Response(
        content=render_declared(fmt, principal_arn=settings.principal_arn),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

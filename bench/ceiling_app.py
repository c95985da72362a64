"""The ceiling row of bench/service_speed.py: the same stack as `vitrine serve` (FastAPI on
uvicorn, its event loop and HTTP parser) answering the recommendations route with a precomputed
response of the same shape — what one process can serve when a request does no work of its own.

    VITRINE_CEILING_BODY=FILE uvicorn bench.ceiling_app:app --port PORT
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Query
from fastapi.responses import Response

BODY = Path(os.environ["VITRINE_CEILING_BODY"]).read_bytes()
app = FastAPI()


@app.get("/users/{user_id}/recommendations")
def recommendations(user_id: str, k: int = Query(20, ge=1, le=1000), per_category: int | None = Query(None),
                    category: list[str] | None = Query(None)):
    return Response(BODY, media_type="application/json")

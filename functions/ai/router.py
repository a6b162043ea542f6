"""Routes of the ai context: forecasts (``functions.ai.forecast``), anomalies
(``functions.ai.anomalies``) and recurring series (``functions.ai.recurring``)."""

from __future__ import annotations

from fastapi import APIRouter

from functions.ai.anomalies import router as anomalies_router
from functions.ai.forecast import router as forecast_router
from functions.ai.recurring import router as recurring_router
from shared.http.edge import FluxoRoute

router = APIRouter(prefix="/v1", route_class=FluxoRoute)
router.include_router(forecast_router)
router.include_router(anomalies_router)
router.include_router(recurring_router)

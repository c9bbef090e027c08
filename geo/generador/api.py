"""Punto de entrada: el distrito base (calibrado) o su réplica escalada a N predios."""

from __future__ import annotations

import logging
from functools import lru_cache

import geopandas as gpd

from geo.config import CONFIG, Config
from geo.generador.distrito import distrito_base
from geo.generador.escala import escalar

log = logging.getLogger(__name__)


@lru_cache(maxsize=2)
def _base(semilla: int, crs: str) -> dict[str, gpd.GeoDataFrame]:
    # solo el CRS de la configuración influye en el resultado (Config no es hashable)
    return distrito_base(semilla, CONFIG.con(crs_metrico=crs))


def generar_distrito(predios: int | None = None, semilla: int = 466,
                     config: Config = CONFIG) -> dict[str, gpd.GeoDataFrame]:
    """Genera el distrito de ejemplo, determinista para cada ``semilla``.

    Parameters
    ----------
    predios : None para el distrito calibrado a la Ordenanza 466-2019-MPO (6,481 predios: el
        Cuadro 47 suma 6,480 pero sus cifras por zona exigen uno más, ver
        ``informe_calibracion``); un entero N para replicar el mismo distrito en teselas hasta
        tener exactamente N predios (pruebas de carga), con códigos prefijados por tesela.
    semilla : semilla del generador aleatorio; la misma semilla da las mismas capas.
    config : configuración técnica; las capas salen en ``config.crs_metrico`` (metros;
        por defecto EPSG:32718, con el distrito hacia E 455 000, N 8 829 000).

    Returns
    -------
    dict nombre de capa -> GeoDataFrame, con todas las capas de ``geo.esquema.CAPAS`` y
    exactamente sus columnas (enteros int64, reales float64, textos object con None).
    """
    base = _base(int(semilla), str(config.crs_metrico))
    if predios is None:
        return {k: v.copy() for k, v in base.items()}
    log.info("escalando el distrito de ejemplo a %d predios", predios)
    return escalar(base, int(predios))

"""Mapas publicables: interactivos (HTML autónomo, sin red) e imprimibles (A3, PDF y PNG).

API pública: :func:`publicar_mapas`. Los temas (qué capas, colores y popups) están en
:mod:`geo.mapas.temas`; el HTML en :mod:`geo.mapas.interactivos`; las láminas A3 en
:mod:`geo.mapas.imprimibles`; Leaflet versionado y verificado en :mod:`geo.mapas.recursos`.

Nada publicado lleva datos personales (``geo.esquema.COLUMNAS_PERSONALES``: contribuyente y
documento) salvo ``incluir_datos_personales=True``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.mapas.temas import construir_temas

log = logging.getLogger(__name__)

__all__ = ["publicar_mapas"]


def publicar_mapas(
    capas: Mapping[str, gpd.GeoDataFrame],
    predios: gpd.GeoDataFrame,
    frentes: gpd.GeoDataFrame | None,
    microrutas: pd.DataFrame | gpd.GeoDataFrame | None,
    arbitrios: pd.DataFrame | None,
    titulo_ordenanza: str,
    salida: str | Path,
    incluir_datos_personales: bool = False,
    imprimir: bool = False,
    umbral_cerca_m: float = 100.0,
    fecha: dt.date | None = None,
    mora: gpd.GeoDataFrame | None = None,
) -> list[Path]:
    """Escribe los mapas del distrito en ``salida`` y devuelve las rutas escritas.

    Un HTML autónomo por tema (zonas de recolección, sectores de barrido y micro-rutas,
    parques y jardines, arbitrios por predio si hay ``arbitrios``, serenazgo, mora por barrio
    si hay ``mora``) más ``index.html``; con ``imprimir=True``, además una lámina A3 apaisada
    por tema en PDF y PNG (y otra de detalle de la zona urbana si el distrito es mucho mayor
    que ella) y ``anexo-mapas.pdf`` con todas.

    Parameters
    ----------
    capas : capas del distrito en el CRS métrico (EPSG:32718), ver :mod:`geo.esquema`.
    predios : predios derivados (:func:`geo.derivaciones.derivar`), mismo CRS.
    frentes : trozos de frontis (líneas) con ``sector_barrido``; puede ser ``None``.
    microrutas : metros lineales por sector, vía y cuadra; si no trae geometría se dibuja la
        de ``capas["vias"]`` uniendo por nombre y cuadra.
    arbitrios : una fila por predio (montos Decimal, float o texto); ``None`` = sin mapa de
        arbitrios.
    titulo_ordenanza : p. ej. ``"Ordenanza Municipal N° 466-2019-M.P.O."``.
    salida : carpeta de salida (se crea).
    incluir_datos_personales : publicar contribuyente y documento en los popups.
    imprimir : además, láminas A3 (PDF y PNG) para anexar a la ordenanza.
    umbral_cerca_m : ancho (m) de la franja «cerca de área verde» (categoría B).
    fecha : fecha que se imprime (por defecto, hoy).
    mora : barrios con su mora (:func:`geo.cobranza.mora.capa_mora_barrios`), mismo CRS que
        ``predios``; ``None`` = sin mapa «Mora por barrio».

    Returns
    -------
    list[Path]: los archivos escritos, ``index.html`` al final.
    """
    from geo.mapas.interactivos import escribir_html, html_indice, html_mapa

    salida = Path(salida)
    fecha = fecha or dt.date.today()
    fuente = (f"Fuente: catastro municipal y derivaciones del sistema catastro · "
              f"{fecha:%d/%m/%Y}")
    temas = construir_temas(capas, predios, frentes, microrutas, arbitrios,
                            incluir_datos_personales, umbral_cerca_m, mora)
    crs = predios.crs
    escritos: list[Path] = []
    cache: dict = {}
    for tema in temas:
        escritos.append(escribir_html(html_mapa(tema, crs, titulo_ordenanza, fuente, cache),
                                      salida / tema.archivo))
        log.info("mapa %s: %.1f MB", tema.archivo, escritos[-1].stat().st_size / 1e6)
    laminas: dict[str, list[Path]] = {}
    anexo = None
    if imprimir:
        from geo.mapas.imprimibles import publicar_laminas

        urbana = capas.get("zona_urbana")
        laminas = publicar_laminas(temas, titulo_ordenanza, salida, fecha,
                                   None if urbana is None else urbana.geometry.to_numpy())
        escritos += [r for rutas in laminas.values() for r in rutas]
        anexo = salida / "anexo-mapas.pdf"
        escritos.append(anexo)
    escritos.append(escribir_html(html_indice(temas, titulo_ordenanza, fuente, laminas, anexo),
                                  salida / "index.html"))
    return escritos

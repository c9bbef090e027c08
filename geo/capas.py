"""Lectura y escritura del almacén de capas (un GeoPackage en CRS métrico).

Toda escritura es atómica: se escribe un archivo temporal junto al destino y se renombra al
final, de modo que un fallo a mitad nunca deja un archivo a medio escribir.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Iterator, Mapping

import geopandas as gpd
import pyogrio

from geo.config import CONFIG, Config
from geo.errores import ErrorCRS, ErrorLectura

log = logging.getLogger(__name__)


def listar_capas(ruta: str | os.PathLike) -> list[str]:
    """Nombres de las capas de un GeoPackage (u otra fuente OGR)."""
    ruta = Path(ruta)
    if not ruta.exists():
        raise ErrorLectura(f"No existe el archivo {ruta}. Revise la ruta.", "ARCHIVO_NO_EXISTE")
    try:
        return [str(n) for n, _ in pyogrio.list_layers(ruta)]
    except Exception as e:  # GDAL dice poco y en inglés: lo traducimos a algo útil
        raise ErrorLectura(
            f"No se pudo abrir {ruta.name}: el archivo está dañado o no es un formato "
            f"geoespacial reconocido ({_motivo(e)}). Vuelva a exportarlo desde su SIG.",
            "ARCHIVO_ILEGIBLE",
        ) from e


def leer_capa(ruta: str | os.PathLike, capa: str) -> gpd.GeoDataFrame:
    """Lee una capa tal cual está guardada (sin reproyectar)."""
    ruta = Path(ruta)
    if capa not in listar_capas(ruta):
        raise ErrorLectura(f"El archivo {ruta.name} no tiene la capa '{capa}'.", "CAPA_FALTANTE")
    try:
        return gpd.read_file(ruta, layer=capa, engine="pyogrio")
    except Exception as e:
        raise ErrorLectura(
            f"No se pudo leer la capa '{capa}' de {ruta.name} ({_motivo(e)}). "
            "Ejecute 'catastro validar' para ver qué elemento está dañado.",
            "CAPA_ILEGIBLE",
        ) from e


def leer_capas(
    ruta: str | os.PathLike, nombres: list[str] | None = None, config: Config = CONFIG
) -> dict[str, gpd.GeoDataFrame]:
    """Lee las capas pedidas (o todas) y las lleva al CRS métrico de ``config``.

    Las capas ausentes no se incluyen; quien las necesite debe comprobarlo.
    """
    presentes = listar_capas(ruta)
    nombres = presentes if nombres is None else [n for n in nombres if n in presentes]
    return {n: a_crs_metrico(leer_capa(ruta, n), n, config) for n in nombres}


def a_crs_metrico(gdf: gpd.GeoDataFrame, capa: str, config: Config = CONFIG) -> gpd.GeoDataFrame:
    """Devuelve la capa en el CRS métrico de ``config`` (metros). Rechaza capas sin CRS."""
    if gdf.crs is None:
        raise ErrorCRS(
            f"La capa '{capa}' no tiene sistema de referencia (CRS). Indíquelo al importarla "
            "con --crs EPSG:XXXX (p. ej. EPSG:32718 para UTM 18S, EPSG:24878 para PSAD56).",
            "CRS_AUSENTE",
        )
    if gdf.crs != config.crs_metrico:
        log.info("capa %s: reproyectada de %s a %s", capa, gdf.crs.to_string(),
                 config.crs_metrico)
        gdf = gdf.to_crs(config.crs_metrico)
    return gdf


def exigir_metrico(gdf: gpd.GeoDataFrame, capa: str) -> None:
    """Las funciones que miden llaman a esto: CRS presente y proyectado en metros."""
    if gdf.crs is None:
        raise ErrorCRS(f"La capa '{capa}' no tiene CRS: no se puede medir.", "CRS_AUSENTE")
    if gdf.crs.is_geographic:
        raise ErrorCRS(
            f"La capa '{capa}' está en coordenadas geográficas ({gdf.crs.to_string()}): "
            "no se mide en grados. Reproyecte a un CRS métrico (EPSG:32718).",
            "CRS_GEOGRAFICO",
        )


@contextlib.contextmanager
def archivo_atomico(destino: str | os.PathLike, sufijo: str | None = None) -> Iterator[Path]:
    """Da una ruta temporal junto a ``destino``; al salir sin error la renombra a ``destino``.

    Si algo falla, el temporal se borra y ``destino`` queda como estaba.
    """
    destino = Path(destino)
    destino.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{destino.stem}.", suffix=sufijo or destino.suffix, dir=destino.parent
    )
    os.close(fd)
    os.unlink(tmp)  # GDAL quiere crear el archivo él mismo
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, destino)
    finally:
        for resto in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                resto.unlink()


def escribir_capas(capas: Mapping[str, gpd.GeoDataFrame], destino: str | os.PathLike) -> Path:
    """Escribe varias capas en un GeoPackage nuevo, de forma atómica.

    Un DataFrame sin geometría se escribe como tabla sin geometría (se abre igual en QGIS).
    """
    destino = Path(destino)
    with archivo_atomico(destino) as tmp:
        for nombre, gdf in capas.items():
            if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
                gdf.to_file(tmp, layer=nombre, driver="GPKG", engine="pyogrio")
            else:
                pyogrio.write_dataframe(gdf, tmp, layer=nombre, driver="GPKG")
    return destino


def _motivo(e: Exception) -> str:
    texto = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return texto[:200]

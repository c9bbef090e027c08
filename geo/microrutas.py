"""Micro-rutas de barrido (Cuadros 01–05): metros lineales de vía por sector y cuadra.

Para cada sector de barrido, vía y cuadra: la longitud del eje de la vía dentro del sector
(``longitud_ml``), la frecuencia semanal del sector y ``ml_semanal = longitud_ml ×
frecuencia_semanal``. Una cuadra partida por el límite de dos sectores aparece en ambos con
su parte de longitud.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.capas import exigir_metrico
from geo.frontis import exigir_mismo_crs

COLUMNAS = ["sector", "frecuencia_semanal", "via", "cuadra", "longitud_ml", "ml_semanal"]


def microrutas(vias: gpd.GeoDataFrame, sectores_barrido: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Tramos de vía por sector de barrido.

    Parameters
    ----------
    vias : capa ``vias`` (``nombre``, ``cuadra`` si hay), CRS métrico.
    sectores_barrido : capa ``sectores_barrido`` (``sector``, ``frecuencia_semanal``).

    Returns
    -------
    GeoDataFrame con ``sector``, ``frecuencia_semanal``, ``via``, ``cuadra``,
    ``longitud_ml`` (m), ``ml_semanal`` (m/semana) y la geometría del tramo recortado,
    ordenado por sector, vía y cuadra.
    """
    exigir_metrico(vias, "vias")
    exigir_metrico(sectores_barrido, "sectores_barrido")
    exigir_mismo_crs(vias, sectores_barrido, "vias", "sectores_barrido")
    lineas = vias.geometry.to_numpy()
    sect = sectores_barrido.geometry.to_numpy()
    # por partes (un sector multiparte tiene una envolvente enorme); un eje contenido en una
    # parte es su propio tramo y no hace falta recortarlo
    partes, sector_de = shapely.get_parts(sect, return_index=True)
    arbol = shapely.STRtree(lineas)
    ki, vj = arbol.query(partes, predicate="intersects")
    kc, vc = arbol.query(partes, predicate="contains")
    n = len(lineas)
    contenido = np.isin(ki * n + vj, kc * n + vc)
    geom = lineas[vj].copy()
    geom[~contenido] = shapely.intersection(lineas[vj[~contenido]], partes[ki[~contenido]])
    si = sector_de[ki]
    orden = np.lexsort((vj, si))  # el orden de antes: por sector y luego por eje
    si, vj, geom = si[orden], vj[orden], geom[orden]
    lg = shapely.length(geom)
    ok = lg > 0
    si, vj, geom, lg = si[ok], vj[ok], geom[ok], lg[ok]
    cuadra = (pd.to_numeric(vias["cuadra"], errors="coerce").astype("Int64").to_numpy()
              if "cuadra" in vias.columns else pd.array([pd.NA] * len(vias), dtype="Int64"))
    frec = pd.to_numeric(sectores_barrido["frecuencia_semanal"], errors="coerce").to_numpy()
    t = pd.DataFrame({
        "sector": sectores_barrido["sector"].astype(str).to_numpy()[si],
        "frecuencia_semanal": frec[si],
        "via": vias["nombre"].astype(str).to_numpy()[vj],
        "cuadra": pd.array(cuadra, dtype="Int64")[vj],
        "longitud_ml": lg,
        "_g": np.arange(len(si)),
    })
    if t.empty:
        return gpd.GeoDataFrame({c: [] for c in COLUMNAS}, geometry=gpd.GeoSeries([]),
                                crs=vias.crs)
    claves = ["sector", "frecuencia_semanal", "via", "cuadra"]
    g = t.groupby(claves, dropna=False, sort=True)
    gid = g.ngroup().to_numpy()
    out = g["longitud_ml"].sum().reset_index()
    orden = np.argsort(gid, kind="stable")
    partes = shapely.get_parts(geom[orden], return_index=True)
    multi = shapely.multilinestrings(partes[0], indices=gid[orden][partes[1]])
    out["longitud_ml"] = out["longitud_ml"].round(2)
    out["ml_semanal"] = (out["longitud_ml"] * out["frecuencia_semanal"]).round(2)
    return gpd.GeoDataFrame(out[COLUMNAS], geometry=shapely.line_merge(multi), crs=vias.crs)


def totales_por_sector(rutas: pd.DataFrame) -> pd.DataFrame:
    """Totales por sector: ``longitud_ml``, ``ml_semanal`` y número de cuadras."""
    t = rutas.groupby(["sector", "frecuencia_semanal"], dropna=False).agg(
        cuadras=("via", "size"), longitud_ml=("longitud_ml", "sum"),
        ml_semanal=("ml_semanal", "sum"))
    return t.reset_index().round({"longitud_ml": 2, "ml_semanal": 2})

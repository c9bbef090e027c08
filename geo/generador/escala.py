"""Distrito escalado a N predios: réplicas del distrito base en una malla de teselas.

Cada tesela es una copia trasladada del distrito base (mismas manzanas, usos y atributos); los
códigos llevan el prefijo de la tesela (``T0003-190301-01-012-015``). La última tesela se
recorta para dar exactamente N predios sin partir ningún edificio en propiedad horizontal. Las
capas de zonas conservan una fila por clave (sector, zona, barrio) con las partes de todas las
teselas. Todo es vectorizado: un bucle por tesela como mucho, nunca por predio.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errores import ErrorDatos


def _trasladar(geoms: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Traslada cada geometría ``geoms[i]`` en (dx[i], dy[i]) metros."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    coords[:, 0] += dx[idx]
    coords[:, 1] += dy[idx]
    return shapely.set_coordinates(np.array(geoms, dtype=object, copy=True), coords)


def _seleccion_parcial(predios: gpd.GeoDataFrame, k: int) -> np.ndarray:
    """Índices (posicionales) de k predios del distrito base sin partir edificios en PH."""
    matriz = predios["predio_matriz"].to_numpy()
    es_ph = pd.notna(matriz)
    elegidos: list[np.ndarray] = []
    cupo = k
    for _, pos in pd.Series(np.flatnonzero(es_ph)).groupby(matriz[es_ph], sort=False):
        if len(pos) <= cupo:
            elegidos.append(pos.to_numpy())
            cupo -= len(pos)
    elegidos.append(np.flatnonzero(~es_ph)[:cupo])
    return np.sort(np.concatenate(elegidos))


def escalar(base: dict[str, gpd.GeoDataFrame], predios: int) -> dict[str, gpd.GeoDataFrame]:
    """Replica ``base`` en teselas hasta tener exactamente ``predios`` predios."""
    if predios < 1:
        raise ErrorDatos(f"predios debe ser >= 1; se recibió {predios}.", "PREDIOS_INVALIDO")
    pr = base["predios"]
    crs = pr.crs
    n0 = len(pr)
    n_tes = math.ceil(predios / n0)
    x0, y0, x1, y1 = base["distrito"].total_bounds
    ancho, alto = x1 - x0, y1 - y0
    cols = max(1, round(math.sqrt(n_tes * alto / ancho)))
    cols = min(cols, n_tes)
    t = np.arange(n_tes)
    dx_t, dy_t = (t % cols) * ancho, (t // cols) * alto

    # --- predios
    k = predios - (n_tes - 1) * n0
    filas = np.concatenate([np.tile(np.arange(n0), n_tes - 1), _seleccion_parcial(pr, k)])
    tes = np.concatenate([np.repeat(t[:-1], n0), np.full(k, t[-1])])
    prefijo = np.array([f"T{i:04d}-" for i in t], dtype=object)
    datos = {}
    for c in pr.columns:
        if c == pr.geometry.name:
            continue
        v = pr[c].to_numpy()[filas]
        if c in ("codigo", "predio_matriz"):
            hay = pd.notna(v)
            v = v.copy()
            v[hay] = prefijo[tes[hay]] + v[hay]
        datos[c] = v
    geom = _trasladar(pr.geometry.to_numpy()[filas], dx_t[tes], dy_t[tes])
    salida = {"predios": gpd.GeoDataFrame(datos, geometry=gpd.GeoSeries(geom, crs=crs), crs=crs)}

    # --- capas que se replican tal cual (una fila por elemento y tesela)
    for nombre in ("vias", "areas_verdes"):
        g = base[nombre]
        fil = np.tile(np.arange(len(g)), n_tes)
        tt = np.repeat(t, len(g))
        df = g.iloc[fil].reset_index(drop=True)
        df[df.geometry.name] = _trasladar(g.geometry.to_numpy()[fil], dx_t[tt], dy_t[tt])
        salida[nombre] = df.set_crs(crs, allow_override=True)

    # --- distrito: unión de las teselas (filas completas + la última fila)
    filas_t = t // cols
    rects = [shapely.box(x0, y0 + f * alto, x0 + (np.sum(filas_t == f)) * ancho,
                         y0 + (f + 1) * alto) for f in np.unique(filas_t)]
    distrito = shapely.union_all(rects, grid_size=0.001)

    def juntar(geom: shapely.Geometry) -> shapely.Geometry:
        copias = _trasladar(np.repeat(np.array([geom], dtype=object), n_tes), dx_t, dy_t)
        return shapely.multipolygons(shapely.get_parts(copias))

    for nombre in ("sectores_barrido", "zonas_recoleccion", "sectores_recoleccion",
                   "zona_urbana", "barrios"):
        g = base[nombre].copy()
        geoms = []
        for geom in g.geometry:
            if nombre == "barrios" and _es_resto(base, geom):
                zona_a = juntar(base["zonas_recoleccion"].geometry.iloc[0])
                geoms.append(shapely.difference(distrito, zona_a))
            else:
                geoms.append(juntar(geom))
        g[g.geometry.name] = geoms
        salida[nombre] = g.set_crs(crs, allow_override=True)
    for nombre in ("distrito", "zonas_serenazgo"):
        g = base[nombre].copy()
        g[g.geometry.name] = [distrito] * len(g)
        salida[nombre] = g.set_crs(crs, allow_override=True)
    return {n: salida[n] for n in base}


def _es_resto(base: dict, geom: shapely.Geometry) -> bool:
    """El barrio rural es el resto del distrito: toca el borde del distrito."""
    return bool(shapely.intersects(geom, shapely.boundary(base["distrito"].geometry.iloc[0])))

"""Asignación de zonas y sectores a cada predio (recolección, serenazgo, barrio).

Regla única: **cada predio recibe exactamente una zona**, la que contiene la mayor parte de
su área. Un predio completamente dentro de una zona se resuelve con ``contains`` (rápido);
solo los que cruzan un límite pasan por la intersección de áreas. Así un predio apoyado en
el límite entre dos zonas no queda sin zona (``within`` falla con el punto sobre el borde)
ni duplicado (``intersects`` devuelve las dos). Con empate exacto gana la zona que aparece
primero en su capa. Si la segunda zona se lleva más de ``umbral_division`` (10 %) del área,
el predio se marca como dividido.

Los trozos de frontis toman el sector de barrido que contiene su punto medio; si el punto
cae justo en un límite, el sector que contiene más longitud del trozo (y con empate, el
primero de la capa).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.capas import exigir_metrico
from geo.errores import ErrorDatos, Problema

log = logging.getLogger(__name__)

UMBRAL_DIVISION = 0.10
"""Fracción del área en la segunda zona a partir de la cual un predio se marca dividido."""

# capa → (columna de la capa, columna de salida, marca si queda dividido)
ASIGNACIONES: tuple[tuple[str, str, str, str], ...] = (
    ("zonas_recoleccion", "zona", "zona_recoleccion", "zona_recoleccion_dividida"),
    ("sectores_recoleccion", "sector", "sector_recoleccion", "sector_recoleccion_dividido"),
    ("zonas_serenazgo", "zona", "zona_serenazgo", "zona_serenazgo_dividida"),
    ("barrios", "barrio", "barrio", "barrio_dividido"),
)


def asignar_por_area(
    geoms: np.ndarray, zonas: gpd.GeoDataFrame, umbral_division: float = UMBRAL_DIVISION,
    arbol: shapely.STRtree | None = None,
) -> pd.DataFrame:
    """Zona (posición en ``zonas``) de mayor área para cada geometría.

    Parameters
    ----------
    geoms : polígonos de los predios (CRS métrico, el de ``zonas``).
    zonas : polígonos de las zonas.
    umbral_division : fracción del área en la segunda zona para marcar ``dividido``.
    arbol : ``STRtree(geoms)`` si ya se tiene (varias capas sobre los mismos predios).

    Returns
    -------
    DataFrame con ``pos`` (posición de la zona, -1 si ninguna), ``fraccion`` (del área del
    predio en esa zona), ``fraccion_segunda`` y ``dividido``, una fila por geometría.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    pos = np.full(n, -1, dtype=np.int64)
    frac = np.zeros(n)
    segunda = np.zeros(n)
    zg = zonas.geometry.to_numpy()
    if n == 0 or len(zg) == 0:
        return pd.DataFrame({"pos": pos, "fraccion": frac, "fraccion_segunda": segunda,
                             "dividido": np.zeros(n, dtype=bool)})
    # Se trabaja con las partes de cada zona: una zona multiparte (p. ej. un distrito en
    # mosaico) tiene una envolvente enorme y cada consulta la evaluaría contra todo. Un
    # polígono contenido en una MultiPolygon válida lo está en una sola de sus partes, y el
    # área de su intersección con la zona es la suma de las de sus partes.
    partes, zona_de = shapely.get_parts(zg, return_index=True)
    arbol_p = shapely.STRtree(geoms) if arbol is None else arbol
    ki, pj = arbol_p.query(partes, predicate="contains")  # cada parte se prepara una vez
    nz = len(zg)
    if np.array_equal(zona_de, np.arange(nz)):  # una parte por zona: los pares (predio, zona) ya no se repiten
        pj, zi = pj.astype(np.int64), zona_de[ki]
    else:
        par = np.unique(pj.astype(np.int64) * nz + zona_de[ki])  # (predio, zona) sin repetir
        pj, zi = par // nz, par % nz
    veces = np.bincount(pj, minlength=n)
    unico = veces[pj] == 1
    pos[pj[unico]] = zi[unico]
    frac[pj[unico]] = 1.0

    resto = np.flatnonzero((veces != 1) & ~shapely.is_empty(geoms) & shapely.is_valid_input(geoms)
                           & (shapely.area(geoms) > 0))
    if len(resto):
        arbol_z = shapely.STRtree(partes)
        ri, kj = arbol_z.query(geoms[resto], predicate="intersects")
        area_k = shapely.area(shapely.intersection(geoms[resto][ri], partes[kj]))
        ok = area_k > 0
        ri, zj, area_k = ri[ok], zona_de[kj[ok]], area_k[ok]
        # suma por (geometría, zona)
        clave, inv = np.unique(ri.astype(np.int64) * nz + zj, return_inverse=True)
        area = np.bincount(inv.ravel(), weights=area_k, minlength=len(clave))
        ri, zj = clave // nz, clave % nz
        total = shapely.area(geoms[resto])[ri]
        f = area / total
        orden = np.lexsort((zj, -f, ri))
        ri, zj, f = ri[orden], zj[orden], f[orden]
        primero = np.ones(len(ri), dtype=bool)
        primero[1:] = ri[1:] != ri[:-1]
        pos[resto[ri[primero]]] = zj[primero]
        frac[resto[ri[primero]]] = f[primero]
        segundo = np.zeros(len(ri), dtype=bool)
        segundo[1:] = primero[:-1] & ~primero[1:]
        segunda[resto[ri[segundo]]] = f[segundo]
    return pd.DataFrame({"pos": pos, "fraccion": frac, "fraccion_segunda": segunda,
                         "dividido": segunda > umbral_division})


def sector_de_tramos(lineas: np.ndarray, sectores: gpd.GeoDataFrame,
                     medio: np.ndarray | None = None) -> np.ndarray:
    """Posición en ``sectores`` del sector de cada tramo de línea (-1 si ninguno).

    El sector que contiene el punto medio del tramo; en un límite, el que contiene más
    longitud del tramo; con empate, el primero de la capa. ``medio``: los puntos medios, si
    ya se tienen (si no, ``line_interpolate_point(lineas, 0.5, normalized=True)``).
    """
    lineas = np.asarray(lineas, dtype=object)
    out = np.full(len(lineas), -1, dtype=np.int64)
    if len(lineas) == 0 or len(sectores) == 0:
        return out
    sg = sectores.geometry.to_numpy()
    partes, sector_de = shapely.get_parts(sg, return_index=True)  # ver asignar_por_area
    if medio is None:
        medio = shapely.line_interpolate_point(lineas, 0.5, normalized=True)
    arbol = shapely.STRtree(partes)
    ti, kj = arbol.query(medio, predicate="intersects")
    if len(ti):
        par = np.unique(np.c_[ti, sector_de[kj]], axis=0)
        ti, sj = par[:, 0], par[:, 1]
    else:
        sj = sector_de[kj]
    veces = np.bincount(ti, minlength=len(lineas))
    largo = np.zeros(len(ti))
    dudoso = np.flatnonzero(veces[ti] > 1)  # punto medio en un límite: se desempata por longitud
    if len(dudoso):
        # longitud dentro del sector = suma de las longitudes dentro de sus partes
        di, pk = arbol.query(lineas[ti[dudoso]], predicate="intersects")
        misma = sector_de[pk] == sj[dudoso[di]]
        di, pk = di[misma], pk[misma]
        lg = shapely.length(shapely.intersection(lineas[ti[dudoso[di]]], partes[pk]))
        largo[dudoso] = np.bincount(di, weights=lg, minlength=len(dudoso))
    orden = np.lexsort((sj, -largo, ti))
    ti, sj = ti[orden], sj[orden]
    primero = np.ones(len(ti), dtype=bool)
    primero[1:] = ti[1:] != ti[:-1]
    out[ti[primero]] = sj[primero]
    return out


def asignar_zonas(
    geoms: np.ndarray,
    capas: dict[str, gpd.GeoDataFrame],
    barrio_declarado: pd.Series | None = None,
    umbral_division: float = UMBRAL_DIVISION,
) -> pd.DataFrame:
    """Zona de recolección, sector de recolección, zona de serenazgo y barrio por geometría.

    Parameters
    ----------
    geoms : polígonos (una fila por huella o por predio).
    capas : capas del distrito; las ausentes dan ``None`` (barrio: el declarado).
    barrio_declarado : barrio declarado, alineado con ``geoms`` (respaldo si no hay capa
        ``barrios`` o el predio queda fuera de todos).

    Returns
    -------
    DataFrame (índice 0..n-1) con ``zona_recoleccion``, ``sector_recoleccion``,
    ``zona_serenazgo``, ``barrio``, ``flags`` (marcas separadas por ``;``) y, por cada
    columna, ``_frac_<columna>``: fracción del área en la segunda zona.
    """
    n = len(geoms)
    tabla = pd.DataFrame(index=range(n))
    marcas = pd.Series([""] * n, dtype=object)
    arbol = None  # un solo árbol de los predios para todas las capas
    for capa, col_capa, col_salida, marca in ASIGNACIONES:
        zonas = capas.get(capa)
        if zonas is None or len(zonas) == 0:
            tabla[col_salida] = None
            continue
        exigir_metrico(zonas, capa)
        if col_capa not in zonas.columns:
            raise ErrorDatos(f"La capa '{capa}' no tiene la columna '{col_capa}'.",
                             "COLUMNA_FALTANTE")
        if arbol is None:
            arbol = shapely.STRtree(np.asarray(geoms, dtype=object))
        r = asignar_por_area(geoms, zonas, umbral_division, arbol)
        valores = zonas[col_capa].astype("string").astype(object).to_numpy()
        p = r["pos"].to_numpy()
        col = np.where(p >= 0, valores[np.maximum(p, 0)], None)
        tabla[col_salida] = pd.Series(col, dtype=object).where(pd.notna(col), None)
        div = r["dividido"].to_numpy()
        marcas = marcas.where(~div, marcas + np.where(marcas == "", "", ";") + marca)
        tabla[f"_frac_{col_salida}"] = r["fraccion_segunda"].to_numpy()
    if barrio_declarado is not None:
        decl = pd.Series(barrio_declarado.to_numpy(), dtype=object)
        tabla["barrio"] = tabla["barrio"].where(tabla["barrio"].notna(), decl)
        tabla["barrio"] = tabla["barrio"].where(tabla["barrio"].notna(), None)
    tabla["flags"] = marcas
    return tabla


def avisos_divididos(tabla: pd.DataFrame, claves: np.ndarray, geoms: np.ndarray) -> list[Problema]:
    """Un aviso por predio dividido entre dos zonas (``ZONA_DIVIDIDA``)."""
    avisos = []
    for _, _, col, marca in ASIGNACIONES:
        frac = f"_frac_{col}"
        if frac not in tabla.columns:
            continue
        for i in np.flatnonzero(tabla["flags"].str.contains(marca, regex=False).to_numpy()):
            p = shapely.point_on_surface(geoms[i])
            avisos.append(Problema(
                "ZONA_DIVIDIDA", "aviso", "predios", str(claves[i]),
                f"El predio cruza el límite de {col.replace('_', ' ')}: se asignó "
                f"'{tabla.at[i, col]}' (mayor área) pero {tabla.at[i, frac]:.0%} de su área "
                "está en otra. Revise el límite o el predio.",
                f"{p.x:.2f} {p.y:.2f}"))
    return avisos

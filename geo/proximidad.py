"""Categoría de parques de cada predio (Art. 16.1; Cuadros 31–32).

Categorías
----------
* **A «frente»**: algún trozo de frontis del predio da a una cuadra (fila de la capa de vías)
  que en su **otro lado** bordea un área verde: un lindero del área verde casi paralelo al eje
  y a menos de ``semiancho + tolerancia`` de él, del lado opuesto al predio. Se compara por
  cuadra (fila), no por nombre de vía: un parque en otra cuadra de la misma calle no es «frente».
  Una berma central bordea la vía por ambos lados. Si la vía no trae ``cuadra`` (una fila por
  calle entera), se exige además que el área verde esté a menos de ``ancho + 2·tolerancia`` del
  trozo.
* **B «cerca»**: a ``umbral_cerca_m`` o menos de un área verde (de la ordenanza, p. ej. 100 m).
* **C «lejos»**: más lejos, dentro de ``zona_urbana`` (por mayor área, como las zonas).
* **D «no comprendidos»**: fuera de la zona urbana.

Distancia
---------
``"euclidea"``: borde a borde entre el predio y el área verde más cercana (0 si se tocan),
medida contra los segmentos del contorno de las áreas verdes (ver :func:`verde_mas_cercano`):
el mismo valor que ``shapely.distance`` contra el polígono entero, mucho más rápido.

``"red"``: recorrido por la red de vías. El grafo se arma con los ejes nodados en sus cruces
(``shapely.node``) y los extremos a menos de la tolerancia fundidos en un nodo; cada arista pesa
su longitud. El área verde se alcanza en todo el tramo de cada eje que la bordea
(a menos de ``semiancho + tolerancia``), o en el punto más cercano del eje más cercano si no
bordea ninguno;
el predio sale del punto de su vía más cercano al medio de su trozo de frontis más largo (o a su
punto interior si no tiene frontis). La distancia es el recorrido entre esos dos puntos, sin los
tramos perpendiculares (eje → lindero). Un predio en un componente de la red sin áreas verdes
queda a distancia infinita (categoría C o D).
"""

from __future__ import annotations

import heapq
import logging
import os
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.capas import exigir_metrico
from geo.config import CONFIG, Config
from geo.errores import ErrorDatos
from geo.frontis import (
    COS_PARALELO,
    _pares_via,
    agrupar_min,
    distancia_punto_segmento,
    exigir_mismo_crs,
    lado,
    largo,
    segmentos,
    semiancho_vias,
    unitario,
)
from geo.zonas import asignar_por_area

log = logging.getLogger(__name__)

DISTANCIAS = ("euclidea", "red")
CATEGORIAS = {
    "A": "Frente a área verde",
    "B": "Cerca de área verde",
    "C": "Lejos de área verde (zona urbana)",
    "D": "No comprendidos (fuera de la zona urbana)",
}
_TROZO_VERDE_M = 5.0  # los linderos de área verde se cortan en trozos de hasta 5 m


def categoria_parques(
    huellas: np.ndarray,
    tramos: pd.DataFrame,
    vias: gpd.GeoDataFrame,
    areas_verdes: gpd.GeoDataFrame,
    zona_urbana: gpd.GeoDataFrame | None,
    umbral_cerca_m: float = 100.0,
    distancia: str = "euclidea",
    config: Config = CONFIG,
    mas_cercana=None,
) -> pd.DataFrame:
    """Categoría A/B/C/D, área verde más cercana y su distancia, por huella.

    Parameters
    ----------
    huellas : polígonos de las huellas (ver :func:`geo.frontis.huellas`).
    tramos : ``ResultadoFrontis.tramos`` (``huella``, ``fila_via``, ``x0, y0, x1, y1``).
    vias, areas_verdes, zona_urbana : capas (CRS métrico).
    umbral_cerca_m : distancia (m) hasta la que un predio está «cerca» (de la ordenanza).
    distancia : ``"euclidea"`` o ``"red"`` (ver el docstring del módulo).
    mas_cercana : con ``"euclidea"``, el resultado de
        ``verde_mas_cercano(huellas, areas_verdes.geometry)`` si ya se calculó (o un
        ``concurrent.futures.Future`` que lo dará).

    Returns
    -------
    DataFrame (índice 0..n-1) con ``categoria_parques``, ``area_verde_cercana`` y
    ``distancia_area_verde_m`` (m; borde a borde, o por la red).
    """
    if distancia not in DISTANCIAS:
        raise ErrorDatos(
            f"distancia='{distancia}' no es válida: use una de {', '.join(DISTANCIAS)}.",
            "PARAMETRO_INVALIDO",
        )
    exigir_metrico(areas_verdes, "areas_verdes")
    exigir_mismo_crs(vias, areas_verdes, "vias", "areas_verdes")
    huellas = np.asarray(huellas, dtype=object)
    n = len(huellas)
    if "nombre" in areas_verdes.columns:
        nombres = areas_verdes["nombre"].astype("string").astype(object).to_numpy()
    else:
        nombres = np.array([f"#{i}" for i in range(len(areas_verdes))], dtype=object)
    verdes = areas_verdes.geometry.to_numpy()
    cat = np.full(n, "D", dtype=object)
    cercana = np.full(n, None, dtype=object)
    dist = np.full(n, np.inf)

    if len(verdes):
        if distancia == "euclidea":
            if mas_cercana is None:
                h, g, d = verde_mas_cercano(huellas, verdes)
            else:
                h, g, d = mas_cercana.result() if hasattr(mas_cercana, "result") else mas_cercana
            dist[h] = d
            cercana[h] = nombres[g]
        else:
            g, d = distancia_red(huellas, tramos, vias, areas_verdes, config)
            ok = g >= 0
            dist[ok] = d[ok]
            cercana[ok] = nombres[g[ok]]

    urbana = np.zeros(n, dtype=bool)
    if zona_urbana is not None and len(zona_urbana):
        exigir_metrico(zona_urbana, "zona_urbana")
        urbana = asignar_por_area(huellas, zona_urbana)["pos"].to_numpy() >= 0
    cat[urbana] = "C"
    cat[dist <= umbral_cerca_m] = "B"

    fh, fg = frente_a_area_verde(tramos, vias, areas_verdes, config)
    if len(fh):
        cat[fh] = "A"
        cercana[fh] = nombres[fg]
        if distancia == "euclidea":
            dist[fh] = shapely.distance(huellas[fh], verdes[fg])
    return pd.DataFrame({
        "categoria_parques": cat,
        "area_verde_cercana": cercana,
        "distancia_area_verde_m": np.where(np.isfinite(dist), np.round(dist, 2), np.nan),
    })


def verde_mas_cercano(
    geoms: np.ndarray, verdes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Área verde más cercana (borde a borde) de cada geometría y su distancia (m).

    Es la distancia de shapely (0 si se tocan o se solapan), calculada contra los segmentos
    del contorno de las áreas verdes en vez de contra los polígonos enteros: el árbol de
    segmentos descarta casi todo sin medir, y un área verde grande o multiparte ya no se mide
    entera contra cada predio. Mismo valor: la distancia entre dos polígonos que no se cortan
    es la mínima entre sus segmentos. Con empate gana la primera área verde de la capa.

    Returns
    -------
    geom, verde, distancia : posiciones en ``geoms`` (las no vacías), en ``verdes``, y
    la distancia (m).
    """
    geoms = np.asarray(geoms, dtype=object)
    vacio = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0))
    partes, verde_de = shapely.get_parts(np.asarray(verdes, dtype=object), return_index=True)
    if len(geoms) == 0 or len(partes) == 0:
        return vacio
    hi, pk = shapely.STRtree(partes).query(geoms, predicate="intersects")  # distancia 0
    seg, parte_de = segmentos(partes)
    if len(seg):
        arbol = shapely.STRtree(shapely.linestrings(seg.reshape(-1, 2, 2)))
        hj, sk, d = _mas_cercano_en_hilos(arbol, geoms)
    else:
        hj, sk, d = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0)
    h = np.concatenate([hi, hj])
    g = np.concatenate([verde_de[pk], verde_de[parte_de[sk]]])
    d = np.concatenate([np.zeros(len(hi)), d])
    if len(h) == 0:
        return vacio
    orden = np.lexsort((g, d, h))
    h, g, d = h[orden], g[orden], d[orden]
    primero = np.r_[True, h[1:] != h[:-1]]
    return h[primero], g[primero], d[primero]


_MIN_POR_HILO = 25_000  # geometrías por hilo por debajo de las cuales no vale la pena


def _mas_cercano_en_hilos(arbol: shapely.STRtree, geoms: np.ndarray):
    """``arbol.query_nearest(geoms, return_distance=True, all_matches=True)`` repartido en
    bloques consecutivos entre los núcleos (GEOS suelta el GIL): mismo resultado, en el mismo
    orden.

    Returns
    -------
    geom, elemento, distancia.
    """
    hilos = min(os.cpu_count() or 1, len(geoms) // _MIN_POR_HILO)
    if hilos <= 1:
        (hj, sk), d = arbol.query_nearest(geoms, return_distance=True, all_matches=True)
        return hj, sk, d
    cortes = np.linspace(0, len(geoms), hilos + 1).astype(np.int64)

    def bloque(i):
        (h, k), d = arbol.query_nearest(geoms[cortes[i]:cortes[i + 1]], return_distance=True,
                                        all_matches=True)
        return h + cortes[i], k, d

    with ThreadPoolExecutor(hilos) as ex:
        partes = list(ex.map(bloque, range(hilos)))
    return tuple(np.concatenate([p[j] for p in partes]) for j in range(3))


def frente_a_area_verde(
    tramos: pd.DataFrame, vias: gpd.GeoDataFrame, areas_verdes: gpd.GeoDataFrame,
    config: Config = CONFIG,
) -> tuple[np.ndarray, np.ndarray]:
    """Huellas con un trozo de frontis frente a un área verde (categoría A).

    Returns
    -------
    huella, verde : posiciones (una por huella; si hay varias, el área verde más cercana).
    """
    vacio = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    if tramos.empty or len(areas_verdes) == 0 or len(vias) == 0:
        return vacio
    tol = float(config.tolerancia_frontis_m)
    semi = semiancho_vias(vias, config)
    vseg, vfila = segmentos(vias.geometry.to_numpy())

    # 1) qué área verde bordea cada cuadra y de qué lado: (fila, lado, verde)
    gseg, gdueno = segmentos(areas_verdes.geometry.to_numpy())
    gseg, gdueno = _cortar(gseg, gdueno, _TROZO_VERDE_M)
    gi, vj = _pares_via(gseg, vseg, semi[vfila] + tol, areas_verdes.geometry.to_numpy(),
                        gdueno)
    g, v = gseg[gi], vseg[vj]
    mx, my = (g[:, 0] + g[:, 2]) / 2, (g[:, 1] + g[:, 3]) / 2
    gux, guy = unitario(g)
    vux, vuy = unitario(v)
    borde = (distancia_punto_segmento(mx, my, v) <= semi[vfila[vj]] + tol) & (
        np.abs(gux * vux + guy * vuy) >= COS_PARALELO)
    bordes = pd.DataFrame({"fila_via": vfila[vj][borde], "lado_verde": lado(mx, my, v)[borde],
                           "verde": gdueno[gi][borde]}).drop_duplicates()
    if bordes.empty:
        return vacio

    # 2) de qué lado de su cuadra está cada trozo de frontis
    t = tramos[tramos.fila_via.isin(bordes.fila_via.unique())].reset_index(drop=True)
    if t.empty:
        return vacio
    t["lado"] = _lado_de_tramos(t, vseg, vfila)
    x = t.merge(bordes, on="fila_via")
    x = x[(x.lado_verde == -x.lado) | (x.lado_verde == 0)]
    if x.empty:
        return vacio
    lineas = shapely.linestrings(x[["x0", "y0", "x1", "y1"]].to_numpy().reshape(-1, 2, 2))
    verdes = areas_verdes.geometry.to_numpy()
    d = shapely.distance(lineas, verdes[x.verde.to_numpy()])
    sin_cuadra = np.ones(len(vias), dtype=bool) if "cuadra" not in vias.columns else \
        vias["cuadra"].isna().to_numpy()
    fila = x.fila_via.to_numpy()
    ok = ~sin_cuadra[fila] | (d <= 2 * semi[fila] + 2 * tol)
    h, vd, d = x.huella.to_numpy()[ok], x.verde.to_numpy()[ok], d[ok]
    _, pos = agrupar_min(h, d)
    return h[pos], vd[pos]


def _cortar(seg, dueno, paso):
    n = np.maximum(1, np.ceil(largo(seg) / paso).astype(np.int64))
    rep = np.repeat(np.arange(len(seg)), n)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    f0, f1 = k / n[rep], (k + 1) / n[rep]
    q = seg[rep]
    dx, dy = q[:, 2] - q[:, 0], q[:, 3] - q[:, 1]
    return (np.c_[q[:, 0] + dx * f0, q[:, 1] + dy * f0, q[:, 0] + dx * f1, q[:, 1] + dy * f1],
            dueno[rep])


def _lado_de_tramos(t: pd.DataFrame, vseg: np.ndarray, vfila: np.ndarray) -> np.ndarray:
    """Lado (+1 izquierda, -1 derecha) del punto medio de cada tramo respecto de su cuadra."""
    inicio = np.searchsorted(vfila, np.arange(vfila.max() + 2))
    fila = t.fila_via.to_numpy()
    cuenta = inicio[fila + 1] - inicio[fila]
    rep = np.repeat(np.arange(len(t)), cuenta)
    sj = np.repeat(inicio[fila], cuenta) + (np.arange(cuenta.sum())
                                            - np.repeat(np.cumsum(cuenta) - cuenta, cuenta))
    mx = ((t.x0 + t.x1) / 2).to_numpy()[rep]
    my = ((t.y0 + t.y1) / 2).to_numpy()[rep]
    d = distancia_punto_segmento(mx, my, vseg[sj])
    _, pos = agrupar_min(rep, d)
    return lado(mx[pos], my[pos], vseg[sj[pos]])


# --------------------------------------------------------------------------------------------
# Distancia por la red de vías
# --------------------------------------------------------------------------------------------


def grafo_vias(vias: gpd.GeoDataFrame, tolerancia: float = 0.5):
    """Grafo no dirigido de la red de vías.

    Returns
    -------
    grafo : ``networkx.Graph``; nodos enteros, aristas con ``weight`` (m) y ``arista``.
    aristas : LineString nodadas (una por arista), ``u`` y ``v`` (nodos de sus extremos).
    """
    import networkx as nx  # solo para la distancia por la red (0,1 s al importar)

    exigir_metrico(vias, "vias")
    lineas = shapely.get_parts(shapely.node(shapely.union_all(vias.geometry.to_numpy())))
    lineas = lineas[shapely.length(lineas) > 0]
    ini = shapely.get_coordinates(shapely.get_point(lineas, 0))
    fin = shapely.get_coordinates(shapely.get_point(lineas, -1))
    extremos = np.vstack([ini, fin])
    q = np.round(extremos / 0.01).astype(np.int64)
    _, nodo = np.unique(q, axis=0, return_inverse=True)
    nodo = nodo.ravel()
    # fundir extremos a menos de la tolerancia (ejes digitalizados sin tocarse)
    pts = shapely.points(extremos)
    a, b = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=tolerancia)
    sel = nodo[a] != nodo[b]
    if sel.any():
        aux = nx.Graph()
        aux.add_edges_from(zip(nodo[a][sel], nodo[b][sel]))
        for comp in nx.connected_components(aux):
            m = min(comp)
            nodo[np.isin(nodo, list(comp))] = m
    k = len(lineas)
    u, v = nodo[:k], nodo[k:]
    grafo = nx.Graph()
    largos = shapely.length(lineas)
    for i in np.argsort(-largos):  # con aristas paralelas, queda la más corta
        grafo.add_edge(int(u[i]), int(v[i]), weight=float(largos[i]), arista=int(i))
    return grafo, pd.DataFrame({"geometry": lineas, "u": u, "v": v, "largo": largos})


def _dijkstra_multiorigen(grafo, origenes: dict) -> tuple[dict, dict]:
    """Distancia de cada nodo al origen más cercano y cuál es. ``origenes``: nodo → etiqueta."""
    dist, etiqueta = {}, {}
    cola = [(0.0, i, n, e) for i, (n, e) in enumerate(origenes.items())]
    heapq.heapify(cola)
    contador = len(cola)
    while cola:
        d, _, n, e = heapq.heappop(cola)
        if n in dist:
            continue
        dist[n], etiqueta[n] = d, e
        for m, datos in grafo.adj[n].items():
            if m not in dist:
                contador += 1
                heapq.heappush(cola, (d + datos["weight"], contador, m, e))
    return dist, etiqueta


def distancia_red(
    huellas: np.ndarray,
    tramos: pd.DataFrame,
    vias: gpd.GeoDataFrame,
    areas_verdes: gpd.GeoDataFrame,
    config: Config = CONFIG,
) -> tuple[np.ndarray, np.ndarray]:
    """Área verde más cercana por la red de vías y su distancia (m), por huella.

    Returns
    -------
    verde : posición en ``areas_verdes`` (-1 si no se alcanza ninguna).
    distancia : metros por la red (``inf`` si no se alcanza).
    """
    tol = float(config.tolerancia_frontis_m)
    n = len(huellas)
    grafo, aristas = grafo_vias(vias, tol)
    lineas = aristas.geometry.to_numpy()
    arbol = shapely.STRtree(lineas)
    # semiancho de cada arista: el de la vía más cercana a su punto medio
    medio = shapely.line_interpolate_point(lineas, 0.5, normalized=True)
    semi = semiancho_vias(vias, config)[
        shapely.STRtree(vias.geometry.to_numpy()).query_nearest(medio, all_matches=False)[1]]

    # accesos a cada área verde: el tramo [t_a, t_b] de cada arista que la bordea
    # (a menos de semiancho + tolerancia), o el punto más cercano de la arista más cercana
    verdes = areas_verdes.geometry.to_numpy()
    vi, ej = arbol.query(verdes, predicate="dwithin", distance=float(semi.max()) + tol)
    ok = shapely.distance(verdes[vi], lineas[ej]) <= semi[ej] + tol
    vi, ej = vi[ok], ej[ok]
    tramo = shapely.intersection(lineas[ej], shapely.buffer(verdes[vi], semi[ej] + tol,
                                                            quad_segs=64))
    xy, k = shapely.get_coordinates(tramo, return_index=True)
    t_pts = shapely.line_locate_point(lineas[ej][k], shapely.points(xy))
    t_a = np.full(len(ej), np.inf)
    t_b = np.full(len(ej), -np.inf)
    np.minimum.at(t_a, k, t_pts)
    np.maximum.at(t_b, k, t_pts)
    sin = np.setdiff1d(np.arange(len(verdes)), vi)
    if len(sin):
        si, sj = arbol.query_nearest(verdes[sin], all_matches=False)
        pt = shapely.get_point(shapely.shortest_line(lineas[sj], verdes[sin][si]), 0)
        t = shapely.line_locate_point(lineas[sj], pt)
        vi, ej = np.concatenate([vi, sin[si]]), np.concatenate([ej, sj])
        t_a, t_b = np.concatenate([t_a, t]), np.concatenate([t_b, t])
    valido = np.isfinite(t_a)
    vi, ej, t_a, t_b = vi[valido], ej[valido], t_a[valido], t_b[valido]

    g = grafo.copy()
    origenes = {}
    for k, (e, ta, tb, verde) in enumerate(zip(ej, t_a, t_b, vi)):
        nodo = ("verde", k)
        g.add_edge(nodo, int(aristas.u[e]), weight=float(ta))
        g.add_edge(nodo, int(aristas.v[e]), weight=float(aristas.largo[e] - tb))
        origenes[nodo] = int(verde)
    dist_nodo, etiqueta = _dijkstra_multiorigen(g, origenes)

    # punto de salida de cada huella
    salida = shapely.point_on_surface(huellas)
    if not tramos.empty:
        t = tramos.sort_values("longitud_m", ascending=False).drop_duplicates("huella")
        mx = ((t.x0 + t.x1) / 2).to_numpy()
        my = ((t.y0 + t.y1) / 2).to_numpy()
        salida[t.huella.to_numpy()] = shapely.points(mx, my)
    (hi, he) = arbol.query_nearest(salida, all_matches=False)
    e = np.empty(n, dtype=np.int64)
    e[hi] = he
    t_h = shapely.line_locate_point(lineas[e], salida)
    u = aristas.u.to_numpy()[e]
    v = aristas.v.to_numpy()[e]
    lg = aristas.largo.to_numpy()[e]
    n_nodos = int(max(aristas.u.max(), aristas.v.max())) + 1
    d_arr, g_arr = np.full(n_nodos, np.inf), np.full(n_nodos, -1, dtype=np.int64)
    claves = [k for k in dist_nodo if not isinstance(k, tuple)]
    d_arr[claves] = [dist_nodo[k] for k in claves]
    g_arr[claves] = [etiqueta[k] for k in claves]
    du, dv_, gu, gv = d_arr[u], d_arr[v], g_arr[u], g_arr[v]
    por_u, por_v = du + t_h, dv_ + (lg - t_h)
    dist = np.minimum(por_u, por_v)
    verde = np.where(por_u <= por_v, gu, gv)
    # acceso en la misma arista: recorrido directo
    acc = pd.DataFrame({"e": ej, "t_a": t_a, "t_b": t_b, "verde": vi})
    hx = pd.DataFrame({"h": np.arange(n), "e": e, "t_h": t_h}).merge(acc, on="e")
    if not hx.empty:
        directo = np.maximum(0.0, np.maximum(hx.t_a - hx.t_h, hx.t_h - hx.t_b)).to_numpy()
        h = hx.h.to_numpy()
        _, pos = agrupar_min(h, directo)
        mejor = directo[pos] < dist[h[pos]]
        dist[h[pos][mejor]] = directo[pos][mejor]
        verde[h[pos][mejor]] = hx.verde.to_numpy()[pos][mejor]
    verde = np.where(np.isfinite(dist), verde, -1)
    return verde, dist

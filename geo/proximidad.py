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
    cortar,
    distancia_punto_segmento,
    exigir_mismo_crs,
    lado,
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
    urbana=None,
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
    urbana : máscara (por huella) de las que quedan en la zona urbana (mayor área), si ya se
        calculó con :func:`en_zona_urbana` (o un ``Future`` que la dará).

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
    verde_pos = np.full(n, -1, dtype=np.int64)  # la más cercana (euclídea), si se midió

    if len(verdes):
        if distancia == "euclidea":
            if mas_cercana is None:
                h, g, d = verde_mas_cercano(huellas, verdes)
            else:
                h, g, d = mas_cercana.result() if hasattr(mas_cercana, "result") else mas_cercana
            dist[h] = d
            cercana[h] = nombres[g]
            verde_pos[h] = g
        else:
            g, d = distancia_red(huellas, tramos, vias, areas_verdes, config)
            ok = g >= 0
            dist[ok] = d[ok]
            cercana[ok] = nombres[g[ok]]

    if urbana is None:
        urbana = en_zona_urbana(huellas, zona_urbana)
    elif hasattr(urbana, "result"):
        urbana = urbana.result()
    cat[urbana] = "C"
    cat[dist <= umbral_cerca_m] = "B"

    fh, fg = frente_a_area_verde(tramos, vias, areas_verdes, config)
    if len(fh):
        cat[fh] = "A"
        cercana[fh] = nombres[fg]
        if distancia == "euclidea":  # a la que da enfrente, que no siempre es la más cercana
            otra = verde_pos[fh] != fg  # si es la más cercana, su distancia ya está medida
            dist[fh[otra]] = shapely.distance(huellas[fh[otra]], verdes[fg[otra]])
    return pd.DataFrame({
        "categoria_parques": cat,
        "area_verde_cercana": cercana,
        "distancia_area_verde_m": np.where(np.isfinite(dist), np.round(dist, 2), np.nan),
    })


def en_zona_urbana(huellas: np.ndarray, zona_urbana: gpd.GeoDataFrame | None,
                   predios=None) -> np.ndarray:
    """Máscara de las huellas asignadas a la zona urbana (la mayor parte de su área dentro,
    ver :func:`geo.zonas.asignar_por_area`); todo falso si no hay capa. ``predios``:
    ``geo.zonas.PrediosEnZonas(huellas)`` si ya existe."""
    if zona_urbana is None or len(zona_urbana) == 0:
        return np.zeros(len(huellas), dtype=bool)
    exigir_metrico(zona_urbana, "zona_urbana")
    pos = asignar_por_area(np.asarray(huellas, dtype=object), zona_urbana, predios=predios)
    return pos["pos"].to_numpy() >= 0


def verde_mas_cercano(
    geoms: np.ndarray, verdes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Área verde más cercana (borde a borde) de cada geometría y su distancia (m).

    Es la distancia de shapely (GEOS) entre la geometría y el área verde, 0 si se tocan o se
    solapan, en las unidades del CRS: metros en un CRS proyectado (p. ej. EPSG:32718). Con
    empate (la misma distancia, bit a bit) gana la primera área verde de la capa. El resultado
    es el de medir cada geometría contra los segmentos del contorno de las áreas verdes con
    ``STRtree.query_nearest(..., all_matches=True)`` (la distancia entre dos polígonos que no
    se cortan es la mínima entre sus segmentos), sin pedirle a GEOS una búsqueda por predio:

    1. Cota: los predios se agrupan por celdas de ``_CELDA_M`` m (hasta ``_POR_GRUPO`` por
       grupo); GEOS da el vértice de área verde más cercano a un punto de cada grupo, y la
       distancia de los vértices de cada predio a los dos segmentos de ese vértice acota la
       del predio.
    2. Candidatos: los segmentos cuya envolvente está a no más de esa cota de la envolvente
       del predio (árbol de trozos de ``_TROZO_SEG`` segmentos consecutivos, y numpy); ninguno
       más lejano puede ser el más cercano. Medir primero el candidato de envolvente más
       cercana afina la cota.
    3. Distancia de cada candidato (numpy): la menor entre vértice del predio → segmento y
       extremo del segmento → lado del predio (sin los extremos que quedan lejos del
       rectángulo orientado del predio). Los rasgos a ±2e-9 relativo del mínimo se recalculan
       con la fórmula de GEOS (``Distance::pointToSegment``): la distancia y los empates son
       los de GEOS.
    4. Quedan para la búsqueda de GEOS de siempre las geometrías que cortan un área verde
       (distancia 0), las que quedan a menos de 1 µm de una (GEOS decide si se tocan) y las
       que no son polígonos.

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
    tipo = shapely.get_type_id(geoms)
    pendiente = (tipo >= 0) & ~shapely.is_empty(geoms)
    verde = np.full(len(geoms), -1, dtype=np.int64)
    dist = np.zeros(len(geoms))
    h, g, d = hi, verde_de[pk], np.zeros(len(hi))
    if len(seg):
        rapido = pendiente & ((tipo == 3) | (tipo == 6))
        rapido[hi] = False
        hr, gr, dr = _VerdesCercanos(seg, parte_de, verde_de).medir(geoms, np.flatnonzero(rapido),
                                                                    tipo)
        verde[hr], dist[hr] = gr, dr
        pendiente[hr] = False
        resto = np.flatnonzero(pendiente)
        if len(resto):
            # casos finos: la búsqueda de GEOS contra los segmentos, como antes
            arbol = shapely.STRtree(shapely.linestrings(seg.reshape(-1, 2, 2)))
            hj, sk, dj = _mas_cercano_en_hilos(arbol, geoms[resto])
            h = np.concatenate([h, resto[hj]])
            g = np.concatenate([g, verde_de[parte_de[sk]]])
            d = np.concatenate([d, dj])
    if len(h):
        orden = np.lexsort((g, d, h))
        h, g, d = h[orden], g[orden], d[orden]
        primero = np.r_[True, h[1:] != h[:-1]]
        verde[h[primero]], dist[h[primero]] = g[primero], d[primero]
    h = np.flatnonzero(verde >= 0)
    return h, verde[h], dist[h]


_MIN_POR_HILO = 25_000  # geometrías por hilo por debajo de las cuales no vale la pena
_CELDA_M = 100.0  # lado (m) de las celdas en que se agrupan los predios
_POR_GRUPO = 64  # predios por grupo como máximo
_TROZO_SEG = 8  # segmentos consecutivos de un contorno de área verde por trozo
_BLOQUE = 10_000  # predios por bloque de cálculo (acota la memoria)
_REL = 1e-9  # holgura relativa de las cotas y de los empates


def _holgura(d: np.ndarray) -> np.ndarray:
    """Cota agrandada para que el redondeo no deje afuera un segmento: + 1e-9·d + 1 µm."""
    return d + (d * _REL + 1e-6)


def _expandir(ini: np.ndarray, cuenta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filas ``(i, ini[i] + j)`` para ``j < cuenta[i]``, en orden."""
    total = int(cuenta.sum())
    rep = np.repeat(np.arange(len(cuenta)), cuenta)
    return rep, np.arange(total) - (np.cumsum(cuenta) - cuenta - ini)[rep]


def _distancia_cajas(ax0, ay0, ax1, ay1, bx0, by0, bx1, by1) -> np.ndarray:
    """Distancia entre las envolventes ``a`` y ``b`` (0 si se tocan); cota inferior de la
    distancia entre lo que contienen."""
    dx = np.maximum(ax0 - bx1, bx0 - ax1)
    np.maximum(dx, 0.0, out=dx)
    dy = np.maximum(ay0 - by1, by0 - ay1)
    np.maximum(dy, 0.0, out=dy)
    dx *= dx
    dy *= dy
    dx += dy
    return np.sqrt(dx, out=dx)


def _cuadrado_distancia(ex, ey, ux, uy, largo) -> np.ndarray:
    """Cuadrado de la distancia de los puntos ``(ex, ey)`` (relativos al inicio del segmento)
    al segmento de dirección unitaria ``(ux, uy)`` y ``largo`` dados. Pisa ``ex`` y ``ey``."""
    t = ex * ux
    t += ey * uy
    ex *= uy
    ey *= ux
    ex -= ey  # distancia (con signo) a la recta
    fuera = np.minimum(t, 0.0)
    t -= largo
    np.maximum(t, 0.0, out=t)
    fuera += t  # cuánto se pasa de los extremos a lo largo
    fuera *= fuera
    ex *= ex
    fuera += ex
    return fuera


def _punto_segmento_geos(px, py, ax, ay, bx, by) -> np.ndarray:
    """Distancia punto–segmento con las mismas operaciones que GEOS
    (``algorithm::Distance::pointToSegment``): el mismo valor, bit a bit."""
    dx = bx - ax
    dy = by - ay
    l2 = dx * dx + dy * dy
    ex = px - ax
    ey = py - ay
    r = (ex * dx + ey * dy) / l2
    perp = np.abs(ex * dy - ey * dx) / l2 * np.sqrt(l2)
    ini = r <= 0
    qx = np.where(ini, ex, px - bx)
    qy = np.where(ini, ey, py - by)
    return np.where(ini | (r >= 1), np.sqrt(qx * qx + qy * qy), perp)


class _Lotes:
    """Lados de un bloque de polígonos, agrupados por cantidad de lados.

    Por grupo de ``k`` lados: arreglos ``(k, n)`` con inicio ``a``, fin ``b``, dirección
    unitaria ``u`` y largo de cada lado. Por polígono: su envolvente y un rectángulo orientado
    según su primer lado que lo contiene (cota inferior barata de la distancia a un punto).
    """

    def __init__(self, x, y, ini, lini, lcnt):
        n = len(lini)
        self.grupo = np.empty(n, dtype=np.int64)
        self.pos = np.empty(n, dtype=np.int64)
        self.g = []
        cajas = np.empty((8, n))
        self.o = np.empty((4, n))  # origen y dirección del rectángulo orientado
        for gi, k in enumerate(np.unique(lcnt)):
            loc = np.flatnonzero(lcnt == k)
            self.grupo[loc] = gi
            self.pos[loc] = np.arange(len(loc))
            i = ini[lini[loc][None, :] + np.arange(k)[:, None]]  # (k, n_k)
            ax, ay, bx, by = x[i], y[i], x[i + 1], y[i + 1]
            dx, dy = bx - ax, by - ay
            lg = np.sqrt(dx * dx + dy * dy)
            ux, uy = dx / lg, dy / lg
            self.g.append((k, ax, ay, bx, by, ux, uy, lg))
            ex, ey = ax - ax[0], ay - ay[0]
            t = ex * ux[0] + ey * uy[0]
            p = ex * uy[0] - ey * ux[0]
            cajas[:, loc] = (ax.min(0), ay.min(0), ax.max(0), ay.max(0),
                             t.min(0), t.max(0), p.min(0), p.max(0))
            self.o[:, loc] = (ax[0], ay[0], ux[0], uy[0])
        self.x0, self.y0, self.x1, self.y1, self.t0, self.t1, self.p0, self.p1 = cajas

    def _por_grupo(self, q):
        if len(self.g) == 1:
            yield 0, np.arange(len(q)), self.pos[q]
            return
        gq = self.grupo[q]
        for gi in range(len(self.g)):
            sel = np.flatnonzero(gq == gi)
            if len(sel):
                yield gi, sel, self.pos[q[sel]]

    def vertices(self, q, cx, cy, ux, uy, lg):
        """Distancia aproximada (al cuadrado) del polígono ``q[i]`` al segmento ``i`` (inicio
        ``c``, dirección unitaria ``u``, largo ``lg``) medida desde los vértices del polígono.

        Returns
        -------
        mínimo por fila, y las matrices ``(k, n)`` de cada grupo (para :meth:`exactos`).
        """
        d = np.empty(len(q))
        mats = []
        for gi, sel, r in self._por_grupo(q):
            _, ax, ay = self.g[gi][:3]
            ex = np.take(ax, r, axis=1)
            ex -= cx[sel]
            ey = np.take(ay, r, axis=1)
            ey -= cy[sel]
            m = _cuadrado_distancia(ex, ey, ux[sel], uy[sel], lg[sel])
            d[sel] = _min_filas(m)
            mats.append((0, gi, sel, r, m))
        return d, mats

    def lados(self, q, px, py):
        """Distancia aproximada (al cuadrado) del punto ``p[i]`` a los lados del polígono
        ``q[i]``: mínimo por fila y matrices (ver :meth:`vertices`)."""
        d = np.empty(len(q))
        mats = []
        for gi, sel, r in self._por_grupo(q):
            _, ax, ay, _, _, ux, uy, lg = self.g[gi]
            ex = px[sel] - np.take(ax, r, axis=1)
            ey = py[sel] - np.take(ay, r, axis=1)
            m = _cuadrado_distancia(ex, ey, np.take(ux, r, axis=1), np.take(uy, r, axis=1),
                                    np.take(lg, r, axis=1))
            d[sel] = _min_filas(m)
            mats.append((1, gi, sel, r, m))
        return d, mats

    def exactos(self, mats, tope2, n, ax_, ay_, bx_=None, by_=None):
        """Distancia de GEOS (``Distance::pointToSegment``, bit a bit) de cada fila ``i``: la
        mínima entre los rasgos cuya distancia aproximada (al cuadrado) no pasa de
        ``tope2[i]`` (``inf`` si ninguno). Con matrices de :meth:`vertices`, vértice del
        polígono → segmento ``(a_, b_)[i]``; de :meth:`lados`, punto ``a_[i]`` → lado del
        polígono."""
        out = np.full(n, np.inf)
        for tipo, gi, sel, r, m in mats:
            j, c = np.nonzero(m <= tope2[sel])
            i, rr = sel[c], r[c]
            _, ax, ay, bx, by = self.g[gi][:5]
            ax, ay, bx, by = ax[j, rr], ay[j, rr], bx[j, rr], by[j, rr]
            if tipo == 0:
                v = _punto_segmento_geos(ax, ay, ax_[i], ay_[i], bx_[i], by_[i])
            else:
                v = _punto_segmento_geos(ax_[i], ay_[i], ax, ay, bx, by)
            np.minimum.at(out, i, v)
        return out

    def cota(self, q, px, py):
        """Cota inferior de la distancia del punto ``p`` al polígono ``q``: la distancia a su
        rectángulo orientado."""
        ox, oy, ux, uy = self.o[:, q]
        dx, dy = px - ox, py - oy
        t = dx * ux + dy * uy
        p = dx * uy - dy * ux
        a = np.maximum(np.maximum(self.t0[q] - t, t - self.t1[q]), 0.0)
        b = np.maximum(np.maximum(self.p0[q] - p, p - self.p1[q]), 0.0)
        return np.sqrt(a * a + b * b)


def _min_filas(m: np.ndarray) -> np.ndarray:
    """Mínimo por columna de una matriz ``(k, n)`` (más rápido que ``m.min(axis=0)``)."""
    out = m[0].copy()
    for fila in m[1:]:
        np.minimum(out, fila, out=out)
    return out


def _agrupar(vx: np.ndarray, vy: np.ndarray):
    """Ordena los puntos por celdas de ``_CELDA_M`` y los parte en grupos consecutivos de
    hasta ``_POR_GRUPO`` de la misma celda.

    Returns
    -------
    orden, inicio de cada grupo (en el orden nuevo), y el punto medio de cada grupo.
    """
    kx = np.floor(vx / _CELDA_M)
    ky = np.floor(vy / _CELDA_M)
    kx -= kx.min()
    ky -= ky.min()
    alto = ky.max() + 1
    if (kx.max() + 1) * alto < 2**52:  # clave entera exacta
        clave = (kx * alto + ky).astype(np.int64)
        orden = np.argsort(clave, kind="stable")
        clave = clave[orden]
        celda = np.r_[True, clave[1:] != clave[:-1]]
    else:
        orden = np.lexsort((ky, kx))
        kx, ky = kx[orden], ky[orden]
        celda = np.r_[True, (kx[1:] != kx[:-1]) | (ky[1:] != ky[:-1])]
    inicio_celda = np.flatnonzero(celda)
    rango = np.arange(len(vx)) - inicio_celda[np.cumsum(celda) - 1]
    ginicio = np.flatnonzero(celda | (rango % _POR_GRUPO == 0))
    cuenta = np.diff(np.r_[ginicio, len(vx)])
    px = np.add.reduceat(vx[orden], ginicio) / cuenta
    py = np.add.reduceat(vy[orden], ginicio) / cuenta
    return orden, ginicio, px, py


class _VerdesCercanos:
    """Área verde más cercana a muchos polígonos, contra los segmentos de las áreas verdes
    (ver :func:`verde_mas_cercano`)."""

    def __init__(self, seg: np.ndarray, parte_de: np.ndarray, verde_de: np.ndarray):
        self.seg = seg
        self.verde = verde_de[parte_de]
        m = len(seg)
        x0, y0, x1, y1 = seg.T
        dx, dy = x1 - x0, y1 - y0
        self.largo = np.sqrt(dx * dx + dy * dy)
        self.ux, self.uy = dx / self.largo, dy / self.largo
        self.cx, self.cy = x0.copy(), y0.copy()
        self.ex, self.ey = x1.copy(), y1.copy()
        self.caja = (np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1),
                     np.maximum(y0, y1))
        # anterior y siguiente en el mismo anillo (si se tocan exactamente)
        pegado = np.zeros(m, dtype=bool)
        pegado[1:] = (parte_de[1:] == parte_de[:-1]) & (x1[:-1] == x0[1:]) & (y1[:-1] == y0[1:])
        self.anterior = np.where(pegado, np.arange(m) - 1, np.arange(m))
        self.siguiente = np.full(m, -1)
        self.siguiente[np.flatnonzero(pegado) - 1] = np.flatnonzero(pegado)
        # trozos de segmentos consecutivos de una misma parte
        rango = np.arange(m) - np.searchsorted(parte_de, parte_de)
        self.tini = np.flatnonzero(rango % _TROZO_SEG == 0)
        self.tcnt = np.diff(np.r_[self.tini, m])
        self.tcaja = (np.minimum.reduceat(self.caja[0], self.tini),
                      np.minimum.reduceat(self.caja[1], self.tini),
                      np.maximum.reduceat(self.caja[2], self.tini),
                      np.maximum.reduceat(self.caja[3], self.tini))
        self.arbol_trozos = shapely.STRtree(shapely.box(*self.tcaja))
        self.arbol_vertices = shapely.STRtree(shapely.points(x0, y0))

    def medir(self, geoms: np.ndarray, cuales: np.ndarray, tipo: np.ndarray):
        """Área verde más cercana de los polígonos ``geoms[cuales]`` (que no cortan ninguna;
        ``tipo``: ``shapely.get_type_id(geoms)``).

        Returns
        -------
        geom, verde, distancia : los resueltos (posiciones en ``geoms``); el resto queda para
        la búsqueda de GEOS.
        """
        vacio = (np.empty(0, dtype=np.int64),) * 2 + (np.empty(0),)
        if len(cuales) == 0:
            return vacio
        sub = geoms[cuales]
        if (tipo[cuales] == 3).all() and not shapely.get_num_interior_rings(sub).any():
            lineas, de = sub, None  # un anillo por polígono
        else:
            partes, ip = shapely.get_parts(sub, return_index=True)
            anillos, ia = shapely.get_rings(partes, return_index=True)
            lineas, de = anillos, ip[ia]
        xy = shapely.get_coordinates(lineas)
        x, y = xy[:, 0], xy[:, 1]
        cnt = shapely.get_num_coordinates(lineas)
        fin = np.cumsum(cnt)
        # lados: de cada coordenada a la siguiente del mismo anillo, sin los de largo 0
        valido = (x[1:] != x[:-1]) | (y[1:] != y[:-1])
        corte = fin[:-1] - 1
        valido[corte[(corte >= 0) & (corte < len(valido))]] = False
        ini = np.flatnonzero(valido)
        por_anillo = np.maximum(cnt - 1, 0)
        if len(ini) != por_anillo.sum():  # hay lados de largo 0
            desde = fin - cnt
            por_anillo = (np.searchsorted(ini, np.maximum(fin - 1, desde))
                          - np.searchsorted(ini, desde))
        lcnt = por_anillo if de is None else np.bincount(de, por_anillo, len(sub)).astype(
            np.int64)
        lini = np.cumsum(lcnt) - lcnt
        con = np.flatnonzero(lcnt > 0)
        if len(con) == 0:
            return vacio
        del valido, cnt, fin
        # grupos: celdas de _CELDA_M (por el primer vértice), de hasta _POR_GRUPO polígonos
        v = ini[lini[con]]
        orden, ginicio, px, py = _agrupar(x[v], y[v])
        del v
        con = con[orden]
        grupo = np.repeat(np.arange(len(ginicio)), np.diff(np.r_[ginicio, len(con)]))
        gi, vk = self.arbol_vertices.query_nearest(shapely.points(px, py), all_matches=False)
        cercano = np.empty(len(ginicio), dtype=np.int64)
        cercano[gi] = vk

        corte = np.searchsorted(ginicio, np.arange(0, len(con), _BLOQUE), side="right") - 1
        cortes = np.unique(np.r_[ginicio[corte], len(con)])

        def bloque(i):
            a, b = cortes[i], cortes[i + 1]
            return self._bloque(x, y, ini, lini[con[a:b]], lcnt[con[a:b]], grupo[a:b],
                                cercano[grupo[a:b]])

        n_bloques = len(cortes) - 1
        hilos = min(os.cpu_count() or 1, n_bloques, len(con) // _MIN_POR_HILO)
        if hilos > 1:
            with ThreadPoolExecutor(hilos) as ex:
                res = list(ex.map(bloque, range(n_bloques)))
        else:
            res = [bloque(i) for i in range(n_bloques)]
        pos = np.concatenate([cortes[i] + r[0] for i, r in enumerate(res)])
        g = np.concatenate([r[1] for r in res])
        d = np.concatenate([r[2] for r in res])
        return cuales[con[pos]], g, d

    def _bloque(self, x, y, ini, lini, lcnt, grupo, cercano):
        """Un bloque de polígonos (grupos enteros). Devuelve las posiciones (en el bloque) de
        los resueltos, su área verde y su distancia."""
        lotes = _Lotes(x, y, ini, lini, lcnt)
        n = len(lini)
        todos = np.arange(n)
        # 1) cota superior: vértices del polígono contra los dos segmentos del vértice cercano
        cota = np.full(n, np.inf)
        for s in (cercano, self.anterior[cercano]):
            c2, _ = lotes.vertices(todos, self.cx[s], self.cy[s], self.ux[s], self.uy[s],
                                   self.largo[s])
            np.minimum(cota, c2, out=cota)
        cota = _holgura(np.sqrt(cota))
        # 2) trozos cerca de cada grupo, luego de cada polígono, luego sus segmentos
        g0 = grupo - grupo[0]
        gini = np.flatnonzero(np.r_[True, g0[1:] != g0[:-1]])
        cx0 = np.minimum.reduceat(lotes.x0, gini)
        cy0 = np.minimum.reduceat(lotes.y0, gini)
        cx1 = np.maximum.reduceat(lotes.x1, gini)
        cy1 = np.maximum.reduceat(lotes.y1, gini)
        cu = np.maximum.reduceat(cota, gini)
        diag = shapely.linestrings(np.stack([np.c_[cx0 - cu, cy0 - cu],
                                             np.c_[cx1 + cu, cy1 + cu]], axis=1))
        qg, tj = self.arbol_trozos.query(diag)
        tx0, ty0, tx1, ty1 = (c[tj] for c in self.tcaja)
        ok = _distancia_cajas(cx0[qg], cy0[qg], cx1[qg], cy1[qg], tx0, ty0, tx1, ty1) <= cu[qg]
        qg, tj = qg[ok], tj[ok]
        cuenta = np.bincount(qg, minlength=len(gini))
        qi, k = _expandir((np.cumsum(cuenta) - cuenta)[g0], cuenta[g0])
        tj = tj[k]
        tx0, ty0, tx1, ty1 = (c[tj] for c in self.tcaja)
        ok = _distancia_cajas(lotes.x0[qi], lotes.y0[qi], lotes.x1[qi], lotes.y1[qi],
                              tx0, ty0, tx1, ty1) <= cota[qi]
        qi, tj = qi[ok], tj[ok]
        k, sj = _expandir(self.tini[tj], self.tcnt[tj])
        qi = qi[k]
        sx0, sy0, sx1, sy1 = (c[sj] for c in self.caja)
        lb = _distancia_cajas(lotes.x0[qi], lotes.y0[qi], lotes.x1[qi], lotes.y1[qi],
                              sx0, sy0, sx1, sy1)
        ok = lb <= cota[qi]
        qi, sj, lb = qi[ok], sj[ok], lb[ok]
        if len(qi) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0)
        # 3) primero el candidato de menor cota inferior de cada polígono: afina la cota
        cuenta = np.bincount(qi, minlength=n)
        hay = cuenta > 0
        ic = (np.cumsum(cuenta) - cuenta)[hay]
        lbmin = np.full(n, np.inf)
        lbmin[hay] = np.minimum.reduceat(lb, ic)
        uno = np.flatnonzero((lb == lbmin[qi]) & (cuenta[qi] > 2))
        uno = uno[np.r_[True, qi[uno][1:] != qi[uno][:-1]]] if len(uno) else uno
        s = sj[uno]
        d1, _ = lotes.vertices(qi[uno], self.cx[s], self.cy[s], self.ux[s], self.uy[s],
                               self.largo[s])
        cota[qi[uno]] = np.minimum(cota[qi[uno]], _holgura(np.sqrt(d1)))
        ok = lb <= cota[qi]
        qi, sj, lb = qi[ok], sj[ok], lb[ok]
        cuenta = np.bincount(qi, minlength=n)
        hay = cuenta > 0
        ic = (np.cumsum(cuenta) - cuenta)[hay]
        # 4) distancia aproximada de cada candidato: vértices del polígono → segmento ...
        cx, cy, ex, ey = self.cx[sj], self.cy[sj], self.ex[sj], self.ey[sj]
        dd, mats = lotes.vertices(qi, cx, cy, self.ux[sj], self.uy[sj], self.largo[sj])
        m1 = np.full(n, np.inf)
        m1[hay] = np.minimum.reduceat(dd, ic)
        cota = _holgura(np.sqrt(m1))
        vivo = lb <= cota[qi]
        # ... y extremos del segmento → lados del polígono, si pueden quedar más cerca (cota
        # del rectángulo orientado). El final de un segmento es el inicio del siguiente del
        # mismo anillo: si el siguiente también es candidato del polígono, se mide una vez.
        ligado = np.zeros(len(qi), dtype=bool)
        ligado[:-1] = (qi[1:] == qi[:-1]) & (sj[1:] == self.siguiente[sj[:-1]]) & vivo[1:]
        lig = np.flatnonzero(ligado)
        extremos = []
        for px, py, w in ((cx, cy, vivo), (ex, ey, vivo & ~ligado)):
            w = np.flatnonzero(w)
            w = w[lotes.cota(qi[w], px[w], py[w]) <= cota[qi[w]]]
            d2, m2 = lotes.lados(qi[w], px[w], py[w])
            extremos.append((px, py, w, m2))
            dd[w] = np.minimum(dd[w], d2)
            if px is cx:
                desde_inicio = np.full(len(qi), np.inf)
                desde_inicio[w] = d2
        dd[lig] = np.minimum(dd[lig], desde_inicio[lig + 1])
        dd[~vivo] = np.inf
        aprox = np.sqrt(dd)
        dmin = np.full(n, np.inf)
        dmin[hay] = np.minimum.reduceat(aprox, ic)
        # 5) valor exacto (fórmula de GEOS) de los rasgos que pueden dar el mínimo: los que
        # quedan a ±2e-9 relativo del mínimo aproximado (el error de la aproximación es de
        # ~1e-12 m). Así los empates son los de GEOS.
        tope = dmin[qi] * (1 + 2 * _REL) + 2e-9
        tope *= tope
        exacta = lotes.exactos(mats, tope, len(qi), cx, cy, ex, ey)
        for px, py, w, m2 in extremos:
            e = lotes.exactos(m2, tope[w], len(w), px[w], py[w])
            exacta[w] = np.minimum(exacta[w], e)
            if px is cx:
                desde_inicio[:] = np.inf
                desde_inicio[w] = e
        exacta[lig] = np.minimum(exacta[lig], desde_inicio[lig + 1])
        exacta[~vivo] = np.inf
        dmin_exacta = np.full(n, np.inf)
        dmin_exacta[hay] = np.minimum.reduceat(exacta, ic)
        # 6) área verde: la primera entre los segmentos a la distancia mínima (como GEOS con
        # all_matches); a menos de 1 µm decide la búsqueda de GEOS (si se tocan, es 0)
        g = self.verde[sj]
        gmin = np.minimum.reduceat(np.where(exacta == dmin_exacta[qi], g,
                                            np.iinfo(np.int64).max), ic)
        claro = np.flatnonzero(hay & (dmin >= 1e-6))
        verde = np.empty(n, dtype=np.int64)
        verde[hay] = gmin
        return claro, verde[claro], dmin_exacta[claro]


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
    gseg, origen, _ = cortar(gseg, _TROZO_VERDE_M)
    gdueno = gdueno[origen]
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
    sin_cuadra = np.ones(len(vias), dtype=bool) if "cuadra" not in vias.columns else \
        vias["cuadra"].isna().to_numpy()
    fila = x.fila_via.to_numpy()
    h, vd = x.huella.to_numpy(), x.verde.to_numpy()
    # la distancia del trozo al área verde solo decide dos cosas: si una vía sin cuadra la
    # tiene enfrente (umbral) y, si una huella da a varias, cuál es la más cercana; las demás
    # filas no la necesitan (con un millón de predios, ~1 s de GEOS menos)
    medir = sin_cuadra[fila] | _con_varias(h, vd)
    d = np.zeros(len(x))
    if medir.any():
        lineas = shapely.linestrings(
            x[["x0", "y0", "x1", "y1"]].to_numpy()[medir].reshape(-1, 2, 2))
        d[medir] = shapely.distance(lineas, areas_verdes.geometry.to_numpy()[vd[medir]])
    ok = ~sin_cuadra[fila] | (d <= 2 * semi[fila] + 2 * tol)
    h, vd, d = h[ok], vd[ok], d[ok]
    _, pos = agrupar_min(h, d)
    return h[pos], vd[pos]


def _con_varias(h: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Máscara de las filas cuya ``h`` aparece con más de una ``v`` distinta."""
    if len(h) == 0:
        return np.zeros(0, dtype=bool)
    pares = np.unique(np.c_[h, v], axis=0)
    distintas = np.bincount(pares[:, 0], minlength=int(h.max()) + 1)
    return distintas[h] > 1


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

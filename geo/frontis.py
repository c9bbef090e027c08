"""Frontis (Art. 12.1.1): metros del lindero de cada predio que dan a una vía pública.

Cómo se mide
------------
1. **Huellas.** Las unidades en propiedad horizontal (filas con el mismo ``predio_matriz``)
   comparten una huella: el frontis se mide una vez por huella y luego se prorratea.
2. **Lindero exterior.** Cada huella se descompone en segmentos rectos. De cada segmento se
   quita la parte cubierta por un segmento casi paralelo (±30°) de otro predio o de un área
   verde a menos de ``tolerancia_frontis_m``: lo compartido con un vecino o con un parque no es
   frontis. Lo que queda es lindero exterior. Los restos de menos de la tolerancia que deja
   este recorte se descartan (son astillas de digitalización).
3. **Asignación a una vía (cuadra).** Un trozo de lindero exterior es frontis de una vía si
   es casi paralelo (±30°) al tramo de eje más cercano y sus dos extremos y su punto medio
   están a menos de ``semiancho + tolerancia`` del eje. Así un lindero lateral, que solo toca
   la vía con su extremo, no suma nada (error clásico: +0,5 m por lado con una franja de
   tolerancia), y en una esquina cada trozo va a una sola vía (sin doble conteo en el cruce).
   Un trozo que está junto a dos cuadras paralelas (p. ej. frente a una intersección en T) se
   corta en trozos de 1 m y cada uno va a la cuadra más cercana.
4. **Ochavas.** Un trozo diagonal (no paralelo a ninguna vía cercana) cuyo extremo inicial
   está sobre una vía y el final sobre otra vía no paralela a la primera es una ochava: da a
   la intersección y **se reparte por mitades**, cada mitad a la vía que toca su extremo.
5. **Ancho de la vía.** ``ancho_m`` de la capa de vías; si falta, el de
   ``Config.ancho_via_por_tipo_m`` según ``tipo`` (``otro`` si tampoco hay tipo).
   :func:`estimar_ancho_vias` lo estima de los linderos cuando la capa no trae anchos.
6. **Redondeo y propiedad horizontal.** Cada trozo se expresa en centímetros enteros. El
   frontis de la matriz se reparte entre sus unidades por ``participacion`` (o por
   ``area_construida_m2`` si falta alguna participación; en partes iguales si todo es cero)
   con el método del mayor resto, trozo por trozo: las unidades suman **exactamente**, en
   centímetros, el frontis de la matriz, y cada trozo también.

Unidades: metros, CRS proyectado. Las funciones que miden llaman a
:func:`geo.capas.exigir_metrico`.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.capas import exigir_metrico
from geo.config import CONFIG, Config
from geo.errores import ErrorCRS, ErrorDatos, Problema

log = logging.getLogger(__name__)

COS_PARALELO = math.cos(math.radians(30.0))
"""Dos direcciones son «paralelas» si forman menos de 30° (las ochavas forman ~45°)."""
PASO_TROZO_M = 1.0
"""Largo de los trozos en que se corta un lindero que da a dos cuadras paralelas."""
MIN_EXTERIOR_M = 1.0
"""Lindero exterior mínimo (m) para avisar FRONTIS_SIN_VIA en vez de PREDIO_SIN_FRONTIS."""
_LOTE_CONSULTA = 100_000  # segmentos por consulta al STRtree: acota la memoria
_MIN_PARES_POR_HILO = 200_000  # asignar_a_vias: menos pares no compensan un hilo

# ---- geometría de segmentos (numpy) ----

_EPS = 1e-9


def segmentos(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Descompone polígonos o líneas en segmentos rectos.

    Parameters
    ----------
    geoms : arreglo de Polygon/MultiPolygon/LineString/MultiLineString.

    Returns
    -------
    seg : arreglo ``(n, 4)`` con ``x0, y0, x1, y1`` (unidades del CRS).
    dueno : arreglo ``(n,)`` con la posición en ``geoms`` de la geometría de origen.
    Los segmentos de longitud nula se descartan.
    """
    geoms = np.asarray(geoms, dtype=object)
    tipo = shapely.get_type_id(geoms)
    simples = len(geoms) and (
        ((tipo == 3).all() and not shapely.get_num_interior_rings(geoms).any())
        or (tipo == 1).all())
    if simples:
        # un solo anillo o línea por geometría: sus coordenadas, sin crear partes ni anillos
        # (mismo orden que el camino general)
        lineas, dueno_linea = geoms, np.arange(len(geoms))
    else:
        partes, idx_p = shapely.get_parts(geoms, return_index=True)
        es_poligono = shapely.get_type_id(partes) == 3
        lineas = partes[~es_poligono]
        dueno_linea = idx_p[~es_poligono]
        if es_poligono.any():
            anillos, idx_a = shapely.get_rings(partes[es_poligono], return_index=True)
            lineas = np.concatenate([anillos, lineas])
            dueno_linea = np.concatenate([idx_p[es_poligono][idx_a], dueno_linea])
    xy, idx_l = shapely.get_coordinates(lineas, return_index=True)
    if len(xy) < 2:
        return np.empty((0, 4)), np.empty(0, dtype=np.int64)
    mismo = idx_l[1:] == idx_l[:-1]
    dx = xy[1:, 0] - xy[:-1, 0]
    dy = xy[1:, 1] - xy[:-1, 1]
    i = np.flatnonzero(mismo & (np.hypot(dx, dy) > _EPS))  # sin segmentos de longitud nula
    seg = np.empty((len(i), 4))
    seg[:, :2] = xy[i]
    seg[:, 2:] = xy[i + 1]
    return seg, dueno_linea[idx_l[i]].astype(np.int64)


def como_lineas(seg: np.ndarray) -> np.ndarray:
    """Segmentos ``(n, 4)`` como LineString de shapely."""
    return shapely.linestrings(seg.reshape(-1, 2, 2))


def diagonales(seg: np.ndarray, margen: np.ndarray | float) -> np.ndarray:
    """Diagonal de la envolvente de cada segmento agrandada en ``margen``.

    Consultar un STRtree sin predicado con estas líneas devuelve los elementos cuya
    envolvente está a menos de ``margen`` (más barato que construir rectángulos).
    """
    xmin, xmax, ymin, ymax = _envolvente(seg, margen)
    return shapely.linestrings(np.stack([np.c_[xmin, ymin], np.c_[xmax, ymax]], axis=1))


def _envolvente(seg: np.ndarray, margen: np.ndarray | float):
    """``xmin, xmax, ymin, ymax`` de la envolvente de cada segmento (o caja ``xmin, ymin,
    xmax, ymax``) agrandada en ``margen``: los mismos números que la envolvente de la línea
    de :func:`diagonales`, la que compara el STRtree."""
    margen = np.broadcast_to(np.asarray(margen, dtype=float), (len(seg),))
    return (np.minimum(seg[:, 0], seg[:, 2]) - margen, np.maximum(seg[:, 0], seg[:, 2]) + margen,
            np.minimum(seg[:, 1], seg[:, 3]) - margen, np.maximum(seg[:, 1], seg[:, 3]) + margen)


def largo(seg: np.ndarray) -> np.ndarray:
    return np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])


def unitario(seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lg = largo(seg)
    lg = np.where(lg > _EPS, lg, 1.0)
    return (seg[:, 2] - seg[:, 0]) / lg, (seg[:, 3] - seg[:, 1]) / lg


def distancia_punto_segmento(px, py, seg: np.ndarray) -> np.ndarray:
    """Distancia euclídea de cada punto ``(px, py)`` a su segmento (mismo largo)."""
    ax, ay, bx, by = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
    dx, dy = bx - ax, by - ay
    l2 = dx * dx + dy * dy
    t = np.where(l2 > _EPS, ((px - ax) * dx + (py - ay) * dy) / np.where(l2 > _EPS, l2, 1), 0)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy))


def lado(px, py, seg: np.ndarray) -> np.ndarray:
    """+1 si el punto está a la izquierda del segmento (según su sentido), -1 a la derecha."""
    cruz = (seg[:, 2] - seg[:, 0]) * (py - seg[:, 1]) - (seg[:, 3] - seg[:, 1]) * (px - seg[:, 0])
    return np.sign(cruz)


def cuantizar(valores: np.ndarray, paso: float = 1e-3) -> np.ndarray:
    return np.round(np.asarray(valores) / paso).astype(np.int64)


def agrupar_min(clave: np.ndarray, valor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Para cada clave distinta, la posición de la fila con ``valor`` mínimo.

    Returns
    -------
    claves : claves distintas, ordenadas.
    pos : posición (en los arreglos de entrada) de la fila mínima de cada clave; los empates
        se resuelven por la primera posición.
    """
    orden = np.lexsort((np.arange(len(clave)), valor, clave))
    c = clave[orden]
    primero = np.ones(len(c), dtype=bool)
    primero[1:] = c[1:] != c[:-1]
    return c[primero], orden[primero]


# --------------------------------------------------------------------------------------------
# Resultado
# --------------------------------------------------------------------------------------------


@dataclass
class ResultadoFrontis:
    """Frontis de una capa de predios.

    Attributes
    ----------
    frentes : un trozo por predio, vía, cuadra y sector de barrido (``codigo``, ``via``,
        ``cuadra``, ``sector_barrido``, ``frecuencia_semanal``, ``longitud_m``, geometría).
    frontis_m : frontis de cada predio (m, al centímetro), en el índice de ``predios``.
    exterior_m : lindero exterior de la huella de cada predio (m), en el índice de ``predios``.
    tramos : trozos por huella antes de agregar (uso interno: proximidad, red): ``huella``,
        ``fila_via`` (posición en la capa de vías), ``x0, y0, x1, y1``, ``longitud_m``.
    huella : posición de la huella de cada predio (arreglo en el orden de ``predios``).
    avisos : problemas encontrados (``PREDIO_SIN_FRONTIS``, ``FRONTIS_SIN_VIA``, …).
    sector_huella : por huella, el sector de barrido de su trozo (vía, cuadra, sector) más
        largo (``None`` si no tiene frontis o el trozo no cae en un sector).
    marca_huella : por huella, ``"sin_frontis"`` (interior), ``"frontis_sin_via"`` (lindero
        exterior de al menos ``MIN_EXTERIOR_M`` sin vía, esté o no cerca de una) o ``""``.
    """

    frentes: gpd.GeoDataFrame
    frontis_m: pd.Series
    exterior_m: pd.Series
    tramos: pd.DataFrame
    huella: np.ndarray
    avisos: list[Problema] = field(default_factory=list)
    marca_huella: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    sector_huella: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))


# --------------------------------------------------------------------------------------------
# Vías
# --------------------------------------------------------------------------------------------


def semiancho_vias(vias: gpd.GeoDataFrame, config: Config = CONFIG) -> np.ndarray:
    """Semiancho (m) de cada vía: ``ancho_m / 2``, o el ancho por defecto de su ``tipo``."""
    return np.where(sin_ancho(vias), ancho_por_tipo(vias, config), _ancho(vias)) / 2.0


def _ancho(vias: gpd.GeoDataFrame) -> np.ndarray:
    """``ancho_m`` (m) de cada vía, NaN si no lo tiene."""
    if "ancho_m" not in vias.columns:
        return np.full(len(vias), np.nan)
    return pd.to_numeric(vias["ancho_m"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def sin_ancho(vias: gpd.GeoDataFrame) -> np.ndarray:
    """Máscara de las vías sin ``ancho_m`` útil (vacío o ≤ 0): se miden con el de su tipo."""
    ancho = _ancho(vias)
    return ~(np.isfinite(ancho) & (ancho > 0))


def ancho_por_tipo(vias: gpd.GeoDataFrame, config: Config) -> np.ndarray:
    """Ancho por defecto (m) del ``tipo`` de cada vía (el de ``otro`` si no lo tiene)."""
    defecto = config.ancho_via_por_tipo_m
    if "tipo" not in vias.columns:
        return np.full(len(vias), float(defecto["otro"]))
    tipo = vias["tipo"].astype("string").str.strip().str.lower()
    return tipo.map(defecto).astype(float).fillna(defecto["otro"]).to_numpy()


def vias_sin_ancho(vias: gpd.GeoDataFrame, config: Config = CONFIG) -> dict[float, int]:
    """Vías sin ``ancho_m``, contadas por el ancho por defecto (m) con que se miden."""
    m = sin_ancho(vias)
    anchos, cuenta = np.unique(ancho_por_tipo(vias[m], config), return_counts=True)
    return {float(a): int(c) for a, c in zip(anchos, cuenta)}


def _texto_o_none(serie: pd.Series) -> np.ndarray:
    return serie.astype(object).where(serie.notna(), None).to_numpy()


# --------------------------------------------------------------------------------------------
# Huellas y lindero exterior
# --------------------------------------------------------------------------------------------


def huellas(predios: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agrupa las unidades de propiedad horizontal en una huella.

    Returns
    -------
    huella : posición de la huella de cada predio (orden de ``predios``).
    geoms : geometría de cada huella (la de su primera unidad).
    claves : código de la huella (``predio_matriz`` o ``codigo``).
    """
    codigo = predios["codigo"].astype(str)
    if "predio_matriz" in predios.columns:
        matriz = predios["predio_matriz"].astype(str).str.strip()
        clave = matriz.where(matriz.notna() & (matriz != ""), codigo)
    else:
        clave = codigo
    huella, claves = pd.factorize(clave, sort=False)  # en el orden en que aparecen
    primera = np.full(len(claves), -1, dtype=np.int64)
    primera[huella[::-1]] = np.arange(len(huella))[::-1]
    geoms = predios.geometry.to_numpy()[primera]
    return huella.astype(np.int64), np.asarray(geoms), np.asarray(claves, dtype=object)


def linderos_exteriores(
    geoms: np.ndarray, obstaculos: np.ndarray | None = None, tolerancia: float = 0.5,
    arbol: shapely.STRtree | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Partes del contorno de cada polígono no compartidas con otro polígono ni obstáculo.

    Parameters
    ----------
    geoms : polígonos (huellas de predios).
    obstaculos : polígonos que también tapan el lindero (áreas verdes), o ``None``.
    tolerancia : distancia (m) hasta la que dos linderos casi paralelos se consideran el mismo.
    arbol : ``STRtree(geoms)``, si ya existe (no se repite; con un millón de predios, ~0,4 s).

    Returns
    -------
    piezas : arreglo ``(n, 4)`` de segmentos exteriores ``x0, y0, x1, y1``.
    dueno : posición en ``geoms`` del polígono de cada pieza.
    """
    seg, dueno = segmentos(geoms)
    if obstaculos is not None and len(obstaculos):
        oseg, odueno = segmentos(obstaculos)
        todos = np.vstack([seg, oseg])
        dueno_todos = np.concatenate([dueno, -1 - odueno])
    else:
        todos, dueno_todos = seg, dueno
    if len(seg) == 0:
        return seg, dueno

    # 1) Linderos idénticos (mismos vértices al milímetro) en dos polígonos: compartidos.
    exacto = _repetidos(cuantizar(todos))[: len(seg)]

    # 2) El resto se recorta contra los segmentos vecinos casi paralelos a < tolerancia.
    cand = np.flatnonzero(~exacto)
    poligonos = np.asarray(geoms, dtype=object)
    if obstaculos is not None and len(obstaculos):
        poligonos = np.concatenate([poligonos, np.asarray(obstaculos, dtype=object)])
    vecinos = _SegmentosPorPoligono(poligonos, todos,
                                    np.where(dueno_todos >= 0, dueno_todos,
                                             len(geoms) - 1 - dueno_todos), arbol)
    tux, tuy = unitario(todos)

    def lote(ini):
        c = cand[ini : ini + _LOTE_CONSULTA]
        qi, tj = vecinos.query_de_poligonos(seg[c], dueno[c], tolerancia)
        s = c[qi]
        # (los segmentos del propio polígono ya quedan fuera) descarte barato de los pares que
        # no son casi paralelos (los laterales de cada esquina); el margen deja la decisión
        # exacta a _intervalo_cubierto
        paralelo = np.abs(tux[s] * tux[tj] + tuy[s] * tuy[tj]) >= COS_PARALELO - 1e-6
        s, tj = s[paralelo], tj[paralelo]
        lo, hi, ok = _intervalo_cubierto(seg[s], todos[tj], tolerancia)
        return s[ok], lo[ok], hi[ok]

    # lotes independientes, en varios hilos (numpy y GEOS sueltan el GIL); se juntan en orden
    inicios = range(0, len(cand), _LOTE_CONSULTA)
    with ThreadPoolExecutor(max(1, min(os.cpu_count() or 1, len(inicios)))) as hilos:
        lotes = list(hilos.map(lote, inicios))
    s = np.concatenate([x[0] for x in lotes]) if lotes else np.empty(0, dtype=np.int64)
    lo = np.concatenate([x[1] for x in lotes]) if lotes else np.empty(0)
    hi = np.concatenate([x[2] for x in lotes]) if lotes else np.empty(0)

    pieza_s, a0, a1 = _complemento(cand, largo(seg), s, lo, hi, tolerancia)
    ux, uy = unitario(seg[pieza_s])
    x0, y0 = seg[pieza_s, 0], seg[pieza_s, 1]
    piezas = np.c_[x0 + ux * a0, y0 + uy * a0, x0 + ux * a1, y0 + uy * a1]
    return piezas, dueno[pieza_s]


def _repetidos(q: np.ndarray) -> np.ndarray:
    """Máscara de los segmentos ``(n, 4)`` enteros que aparecen más de una vez, en cualquier
    sentido.

    Cada extremo se empaqueta en un solo entero (``x`` e ``y`` relativos al mínimo, en el
    orden de ``(x, y)``): el segmento es el par (menor, mayor) de sus dos extremos, y se ordena
    por dos claves en vez de cuatro columnas, sin dar vuelta filas. Si la extensión no cabe en
    63 bits, se da vuelta cada fila y se ordena por las cuatro columnas.
    """
    if len(q) == 0:
        return np.zeros(0, dtype=bool)
    x0 = min(q[:, 0].min(), q[:, 2].min())
    y0 = min(q[:, 1].min(), q[:, 3].min())
    ancho = int(max(q[:, 0].max(), q[:, 2].max()) - x0) + 1
    alto = int(max(q[:, 1].max(), q[:, 3].max()) - y0) + 1
    if ancho * alto < 2**62:
        a = (q[:, 0] - x0) * alto + (q[:, 1] - y0)
        b = (q[:, 2] - x0) * alto + (q[:, 3] - y0)
        claves = [np.minimum(a, b), np.maximum(a, b)]
        del a, b
    else:
        q = q.copy()
        invertir = (q[:, 0] > q[:, 2]) | ((q[:, 0] == q[:, 2]) & (q[:, 1] > q[:, 3]))
        q[invertir] = q[invertir][:, [2, 3, 0, 1]]
        claves = [q[:, k] for k in range(4)]
    orden = np.lexsort(claves[::-1])
    igual = np.zeros(len(q) + 1, dtype=bool)  # igual[i]: fila ordenada i == fila i - 1
    igual[1:-1] = True
    for clave in claves:
        co = clave[orden]
        igual[1:-1] &= co[1:] == co[:-1]
    out = np.empty(len(q), dtype=bool)
    out[orden] = igual[:-1] | igual[1:]
    return out


class _SegmentosPorPoligono:
    """Busca segmentos por envolvente con un STRtree de los polígonos que los contienen.

    Da exactamente los pares de ``STRtree(como_lineas(segs)).query(diagonales(q, margen))``
    (envolventes que se tocan, bordes incluidos), sin crear una geometría por segmento: el
    árbol de polígonos (que ya existen) da los candidatos y numpy aplica la prueba exacta de
    envolventes a sus segmentos. La envolvente de un segmento está dentro de la de su
    polígono, así que no se pierde ningún par.
    """

    def __init__(self, poligonos: np.ndarray, segs: np.ndarray, dueno: np.ndarray,
                 arbol: shapely.STRtree | None = None):
        # arbol: el de poligonos, o el de sus primeros n (las huellas, sin los obstáculos
        # agregados al final); los demás van en un árbol aparte, chico
        self.arbol = shapely.STRtree(poligonos) if arbol is None else arbol
        n = len(self.arbol.geometries)
        self._resto = (shapely.STRtree(poligonos[n:]), n) if n < len(poligonos) else None
        orden = np.argsort(dueno, kind="stable")
        self.segs_de = orden  # segmentos agrupados por polígono
        self.inicio = np.searchsorted(dueno[orden], np.arange(len(poligonos) + 1))
        self.x0 = np.minimum(segs[:, 0], segs[:, 2])
        self.x1 = np.maximum(segs[:, 0], segs[:, 2])
        self.y0 = np.minimum(segs[:, 1], segs[:, 3])
        self.y1 = np.maximum(segs[:, 1], segs[:, 3])
        self._poligonos = poligonos

    @functools.cached_property
    def cajas(self) -> np.ndarray:
        """Envolvente ``xmin, ymin, xmax, ymax`` de cada polígono."""
        return shapely.bounds(self._poligonos)

    def query(self, q: np.ndarray, margen: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Pares (posición en ``q``, segmento) cuyas envolventes (la de ``q`` agrandada en
        ``margen``, un número o uno por fila) se tocan; agrupados por ``q`` en orden
        creciente."""
        qi, pk = self._consultar(diagonales(q, margen))
        if self._resto is not None:
            orden = np.argsort(qi, kind="stable")
            qi, pk = qi[orden], pk[orden]
        return self._a_segmentos(qi, pk, _envolvente(q, margen))

    def _consultar(self, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``STRtree(poligonos).query(geoms)``: los mismos pares, no en el mismo orden si
        hay árbol aparte."""
        gi, pk = self.arbol.query(geoms)
        if self._resto is None:
            return gi, pk
        resto, desde = self._resto
        gr, pr = resto.query(geoms)
        return np.concatenate([gi, gr]), np.concatenate([pk, pr + desde])

    def query_de_poligonos(self, q: np.ndarray, dueno_q: np.ndarray,
                           margen: float) -> tuple[np.ndarray, np.ndarray]:
        """Lo mismo que ``query(q, margen)`` sin los segmentos del propio polígono de cada
        fila, con una consulta al árbol por polígono en vez de una por fila de ``q``.

        ``q`` son segmentos de los polígonos ``dueno_q`` (posiciones en el árbol). Cada
        tramo de filas seguidas del mismo polígono se consulta una vez, con la envolvente del
        polígono agrandada en ``margen`` (contiene la de cada uno de sus segmentos), y numpy
        aplica a cada fila la prueba de envolventes que haría el árbol. El resultado no
        depende del orden de las filas; con los segmentos de cada polígono seguidos (como
        los da :func:`segmentos`) hay menos consultas. Con un millón de predios crea
        ~1 M líneas de consulta en vez de ~2,2 M (crearlas retiene el GIL).
        """
        if len(q) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        primera = np.flatnonzero(np.r_[True, dueno_q[1:] != dueno_q[:-1]])
        filas = np.diff(np.r_[primera, len(q)])  # filas de cada polígono consultado
        poligono = dueno_q[primera]
        caja = self.cajas
        gi, pk = self._consultar(diagonales(caja[poligono], margen))
        otro = pk != poligono[gi]
        gi, pk = gi[otro], pk[otro]
        cuenta = filas[gi]
        qi = (np.repeat(primera[gi] - (np.cumsum(cuenta) - cuenta), cuenta)
              + np.arange(int(cuenta.sum())))
        pk = np.repeat(pk, cuenta)
        envolvente = xmin, xmax, ymin, ymax = _envolvente(q, margen)
        ok = ((caja[pk, 0] <= xmax[qi]) & (caja[pk, 2] >= xmin[qi])
              & (caja[pk, 1] <= ymax[qi]) & (caja[pk, 3] >= ymin[qi]))
        qi, pk = qi[ok], pk[ok]
        orden = np.argsort(qi, kind="stable")  # agrupados por fila, como query()
        return self._a_segmentos(qi[orden], pk[orden], envolvente)

    def _a_segmentos(self, qi, pk, envolvente):
        """De pares (fila de consulta, polígono) a pares (fila, segmento del polígono) cuyas
        envolventes se tocan; ``envolvente``: la de cada fila, de :func:`_envolvente`."""
        cuenta = self.inicio[pk + 1] - self.inicio[pk]
        total = int(cuenta.sum())
        desde = np.repeat(self.inicio[pk] - (np.cumsum(cuenta) - cuenta), cuenta)
        tj = self.segs_de[desde + np.arange(total)]
        qi = np.repeat(qi, cuenta)
        xmin, xmax, ymin, ymax = envolvente
        ok = ((self.x0[tj] <= xmax[qi]) & (self.x1[tj] >= xmin[qi])
              & (self.y0[tj] <= ymax[qi]) & (self.y1[tj] >= ymin[qi]))
        return qi[ok], tj[ok]


def _intervalo_cubierto(s: np.ndarray, t: np.ndarray, tol: float):
    """Intervalo ``[lo, hi]`` (abscisa sobre s, m) que el segmento t cubre de s.

    Cubre la parte de t casi paralela a s y dentro de la franja ``|distancia| <= tol`` de la
    recta de s, proyectada sobre s y recortada a ``[0, largo(s)]``.
    """
    ux, uy = unitario(s)
    nx, ny = -uy, ux
    px, py = t[:, 0] - s[:, 0], t[:, 1] - s[:, 1]
    qx, qy = t[:, 2] - s[:, 0], t[:, 3] - s[:, 1]
    a_p, a_q = px * ux + py * uy, qx * ux + qy * uy
    d_p, d_q = px * nx + py * ny, qx * nx + qy * ny
    lt = np.hypot(t[:, 2] - t[:, 0], t[:, 3] - t[:, 1])
    paralelo = np.abs(a_q - a_p) >= COS_PARALELO * lt
    dd = d_q - d_p
    plano = np.abs(dd) < 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        v1 = np.where(plano, np.where(np.abs(d_p) <= tol, 0.0, 2.0), (-tol - d_p) / dd)
        v2 = np.where(plano, np.where(np.abs(d_p) <= tol, 1.0, 2.0), (tol - d_p) / dd)
    v_lo = np.maximum(0.0, np.minimum(v1, v2))
    v_hi = np.minimum(1.0, np.maximum(v1, v2))
    a1 = a_p + v_lo * (a_q - a_p)
    a2 = a_p + v_hi * (a_q - a_p)
    lg = largo(s)
    lo = np.clip(np.minimum(a1, a2), 0.0, lg)
    hi = np.clip(np.maximum(a1, a2), 0.0, lg)
    ok = paralelo & (v_lo <= v_hi) & (hi - lo > 1e-9)
    return lo, hi, ok


def _complemento(cand, largos, s, lo, hi, tol):
    """Partes de cada segmento candidato no cubiertas por sus intervalos.

    Returns ``(segmento, a0, a1)`` de cada pieza libre. Los restos de un segmento recortado
    más cortos que ``tol`` se descartan; un segmento sin recorte se conserva entero.
    """
    recortado = np.zeros(len(largos), dtype=bool)
    recortado[s] = True
    sin = cand[~recortado[cand]]  # = setdiff1d(cand, s): cand viene ordenado y sin repetir
    if len(s) == 0:
        return sin, np.zeros(len(sin)), largos[sin]
    orden = np.lexsort((lo, s))
    s, lo, hi = s[orden], lo[orden], hi[orden]
    inicio = np.ones(len(s), dtype=bool)
    inicio[1:] = s[1:] != s[:-1]
    grupo = np.cumsum(inicio) - 1
    paso = float(largos.max()) + 10.0
    desfase = grupo * paso
    tope = np.maximum.accumulate(hi + desfase) - desfase  # máximo acumulado por segmento
    previo = np.zeros(len(s))
    previo[1:] = tope[:-1]
    previo[inicio] = 0.0
    hueco = lo > previo + 1e-9
    fin = np.ones(len(s), dtype=bool)
    fin[:-1] = inicio[1:]
    cola = fin & (tope < largos[s] - 1e-9)
    ps = np.concatenate([s[hueco], s[cola]])
    pa0 = np.concatenate([previo[hueco], tope[cola]])
    pa1 = np.concatenate([lo[hueco], largos[s[cola]]])
    util = pa1 - pa0 >= tol
    return (
        np.concatenate([sin, ps[util]]),
        np.concatenate([np.zeros(len(sin)), pa0[util]]),
        np.concatenate([largos[sin], pa1[util]]),
    )


# --------------------------------------------------------------------------------------------
# Asignación de linderos exteriores a vías
# --------------------------------------------------------------------------------------------


def _pares_via(piezas, vseg, alcance_seg, poligonos=None, dueno=None, arbol=None):
    """Pares (pieza, segmento de vía) cuyas envolventes están a menos del alcance.

    Agrupados por segmento de vía en orden creciente (el orden de ``STRtree.query``, del que
    depende el desempate de :func:`agrupar_min`). Con ``poligonos`` (los polígonos de los
    que salen las piezas) y ``dueno`` (posición del polígono de cada pieza) se buscan por
    :class:`_SegmentosPorPoligono`, sin crear una línea por pieza; mismos pares (``arbol``:
    el ``STRtree`` de ``poligonos``, si ya existe).
    """
    if len(piezas) == 0 or len(vseg) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if poligonos is not None:
        vj, pi = _SegmentosPorPoligono(poligonos, piezas, dueno, arbol).query(vseg,
                                                                            alcance_seg)
        return pi, vj
    arbol = shapely.STRtree(como_lineas(piezas))
    vj, pi = arbol.query(diagonales(vseg, alcance_seg))
    return pi, vj


def _medir(piezas, pi, vseg, vj, vfila, n_filas, semiancho, tol):
    """Holguras de cada (pieza, fila de vía): extremo A, extremo B, punto medio.

    Holgura = distancia al eje − semiancho (0 = sobre el lindero de la vía).
    """
    p = piezas[pi]
    g = vseg[vj]
    mx, my = (p[:, 0] + p[:, 2]) / 2, (p[:, 1] + p[:, 3]) / 2
    d_a = distancia_punto_segmento(p[:, 0], p[:, 1], g)
    d_b = distancia_punto_segmento(p[:, 2], p[:, 3], g)
    d_m = distancia_punto_segmento(mx, my, g)
    fila = vfila[vj]
    clave = pi * n_filas + fila
    if len(clave) == 0:
        return pd.DataFrame({c: [] for c in ("pieza", "fila", "ca", "cb", "cm", "par", "ux",
                                             "uy")}).astype({"pieza": np.int64,
                                                             "fila": np.int64, "par": bool})
    claves, pos = agrupar_min(clave, d_m)  # segmento de la fila más cercano al punto medio
    orden = np.argsort(clave, kind="stable")
    cortes = np.flatnonzero(np.r_[True, clave[orden][1:] != clave[orden][:-1]])
    da = np.minimum.reduceat(d_a[orden], cortes)
    db = np.minimum.reduceat(d_b[orden], cortes)
    pux, puy = unitario(p[pos])
    gux, guy = unitario(g[pos])
    hw = semiancho[fila[pos]]
    t = pd.DataFrame(
        {
            "pieza": pi[pos],
            "fila": fila[pos],
            "ca": da - hw,
            "cb": db - hw,
            "cm": d_m[pos] - hw,
            "par": np.abs(pux * gux + puy * guy) >= COS_PARALELO,
            "ux": gux,
            "uy": guy,
        }
    )
    return t[np.minimum(np.minimum(t.ca, t.cb), t.cm) <= tol]


def _elegir(t: pd.DataFrame, mascara: np.ndarray, orden_por: str) -> pd.DataFrame:
    """Una fila por pieza entre las que cumplen ``mascara``: la de menor ``orden_por``."""
    sub = t[mascara]
    if sub.empty:
        return sub
    _, pos = agrupar_min(sub["pieza"].to_numpy(), sub[orden_por].to_numpy())
    return sub.iloc[pos]


def asignar_a_vias(
    piezas: np.ndarray,
    vias: gpd.GeoDataFrame,
    semiancho: np.ndarray,
    tolerancia: float,
    poligonos: np.ndarray | None = None,
    dueno: np.ndarray | None = None,
    arbol: shapely.STRtree | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Asigna cada pieza de lindero exterior a la vía (fila) a la que da, si da a alguna.

    ``poligonos`` y ``dueno`` (huellas y huella de cada pieza, de
    :func:`linderos_exteriores`), si se dan, solo aceleran la búsqueda de vías cercanas;
    ``arbol``, el ``STRtree`` de ``poligonos`` si ya existe, también.

    Returns
    -------
    tramos : arreglo ``(m, 4)``; piezas, mitades de ochava o trozos asignados.
    origen : posición en ``piezas`` de la pieza de la que sale cada tramo.
    fila : posición en ``vias`` de la vía de cada tramo.
    """
    vacio = (np.empty((0, 4)), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    if len(piezas) == 0 or len(vias) == 0:
        return vacio
    vseg, vfila = segmentos(vias.geometry.to_numpy())
    if len(vseg) == 0:
        return vacio
    n_filas = len(vias)
    pi, vj = _pares_via(piezas, vseg, semiancho[vfila] + tolerancia, poligonos, dueno, arbol)
    # Cada pieza se decide solo con sus pares: por rangos de piezas, en varios hilos (numpy
    # suelta el GIL). Cada rango da sus tramos en el orden de siempre (por pieza), así que
    # juntarlos por clase (enteras, mitades A de ochava, mitades B, trozos) da lo mismo que
    # todo de una vez.
    partes = max(1, min(os.cpu_count() or 1, len(pi) // _MIN_PARES_POR_HILO))
    cortes = np.linspace(0, len(piezas), partes + 1).astype(np.int64)

    def rango(k):
        m = (pi >= cortes[k]) & (pi < cortes[k + 1]) if partes > 1 else slice(None)
        return _asignar_pares(piezas, pi[m], vj[m], vseg, vfila, n_filas, semiancho,
                              tolerancia)

    if partes > 1:
        with ThreadPoolExecutor(partes) as hilos:
            resultados = list(hilos.map(rango, range(partes)))
    else:
        resultados = [rango(0)]
    por_clase = [r[c] for c in range(4) for r in resultados]  # clase a clase, rango a rango
    return (np.vstack([x[0] for x in por_clase]), np.concatenate([x[1] for x in por_clase]),
            np.concatenate([x[2] for x in por_clase]))


def _asignar_pares(piezas, pi, vj, vseg, vfila, n_filas, semiancho, tol):
    """:func:`asignar_a_vias` con los pares (pieza, segmento de vía) ya buscados.

    Returns
    -------
    Cuatro clases de tramos ``(tramos, origen, fila)``, cada una en el orden de las piezas:
    piezas enteras (caso 1), mitades A de ochava, mitades B, trozos.
    """
    t = _medir(piezas, pi, vseg, vj, vfila, n_filas, semiancho, tol)

    # Caso 1: paralela a una fila y los tres puntos a su alcance: la pieza entera.
    ok1 = (t.par & (t.ca <= tol) & (t.cb <= tol) & (t.cm <= tol)).to_numpy()
    uno = _elegir(t, ok1, "cm")
    resto = t[~t.pieza.isin(uno.pieza)]

    # Caso ochava: diagonal a todas, extremo A en una vía y B en otra no paralela.
    sin_par = ~resto.groupby("pieza")["par"].transform("any").to_numpy()
    ra = _elegir(resto, sin_par & (resto.ca <= tol).to_numpy(), "ca")
    rb = _elegir(resto, sin_par & (resto.cb <= tol).to_numpy(), "cb")
    och = ra.merge(rb, on="pieza", suffixes=("_a", "_b"))
    och = och[
        (och.fila_a != och.fila_b)
        & (np.abs(och.ux_a * och.ux_b + och.uy_a * och.uy_b) < COS_PARALELO)
    ]

    # Caso trozos: junto a alguna vía paralela pero sin una sola que la cubra entera.
    con_par = resto[resto.par & ~resto.pieza.isin(och.pieza)].pieza.unique()

    vacio = (np.empty((0, 4)), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    enteras = (piezas[uno.pieza.to_numpy()], uno.pieza.to_numpy(), uno.fila.to_numpy())
    mitad_a = mitad_b = trozos = vacio
    if len(och):
        p = piezas[och.pieza.to_numpy()]
        mx, my = (p[:, 0] + p[:, 2]) / 2, (p[:, 1] + p[:, 3]) / 2
        o = och.pieza.to_numpy()
        mitad_a = (np.c_[p[:, :2], mx, my], o, och.fila_a.to_numpy())
        mitad_b = (np.c_[mx, my, p[:, 2:]], o, och.fila_b.to_numpy())
    if len(con_par):
        trozos = _asignar_trozos(piezas, con_par, pi, vj, vseg, vfila, n_filas, semiancho, tol)
    return enteras, mitad_a, mitad_b, trozos


def _distancia_envolventes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distancia entre las envolventes de los segmentos ``a[i]`` y ``b[i]`` (≤ la real)."""
    dx = np.maximum(0.0, np.maximum(np.minimum(a[:, 0], a[:, 2]) - np.maximum(b[:, 0], b[:, 2]),
                                    np.minimum(b[:, 0], b[:, 2]) - np.maximum(a[:, 0], a[:, 2])))
    dy = np.maximum(0.0, np.maximum(np.minimum(a[:, 1], a[:, 3]) - np.maximum(b[:, 1], b[:, 3]),
                                    np.minimum(b[:, 1], b[:, 3]) - np.maximum(a[:, 1], a[:, 3])))
    return np.hypot(dx, dy)


def _trozos_cercanos(p, n, g, margen):
    """Trozos ``[k0, k1)`` de la pieza ``p`` (cortada en ``n``) que tocan la envolvente de
    ``g`` agrandada en ``margen``, con un trozo de holgura a cada lado.

    Se recorta la recta de la pieza con esa caja (Liang-Barsky). Un trozo cuya envolvente está
    a menos de ``margen - 2 m`` de la de ``g`` tiene un punto dentro de la caja (cada punto de
    la envolvente de un trozo está a menos de su largo, ≤ 1 m, del trozo), así que está en el
    rango: se descartan solo pares que el filtro exacto de envolventes también descartaría.
    """
    x0, y0 = p[:, 0], p[:, 1]
    dx, dy = p[:, 2] - x0, p[:, 3] - y0
    t0, t1 = np.zeros(len(p)), np.ones(len(p))
    with np.errstate(divide="ignore", invalid="ignore"):
        for a, d, lo, hi in (
            (x0, dx, np.minimum(g[:, 0], g[:, 2]) - margen, np.maximum(g[:, 0], g[:, 2]) + margen),
            (y0, dy, np.minimum(g[:, 1], g[:, 3]) - margen, np.maximum(g[:, 1], g[:, 3]) + margen),
        ):
            quieto = d == 0
            ta, tb = (lo - a) / d, (hi - a) / d
            t0 = np.where(quieto, np.where((a >= lo) & (a <= hi), t0, 2.0),
                          np.maximum(t0, np.minimum(ta, tb)))
            t1 = np.where(quieto, np.where((a >= lo) & (a <= hi), t1, -1.0),
                          np.minimum(t1, np.maximum(ta, tb)))
    vacio = ~(t0 <= t1)
    k0 = np.clip(np.floor(np.where(vacio, 0.0, t0) * n).astype(np.int64) - 1, 0, n)
    k1 = np.clip(np.ceil(np.where(vacio, 0.0, t1) * n).astype(np.int64) + 1, 0, n)
    k1 = np.where(vacio, k0, np.maximum(k1, k0))
    return k0, k1


def cortar(seg: np.ndarray, paso: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corta cada segmento ``(n, 4)`` en ``ceil(largo / paso)`` trozos iguales (al menos 1).

    Returns
    -------
    trozos : ``(m, 4)``, los de cada segmento seguidos y en su sentido.
    origen : posición en ``seg`` del segmento de cada trozo.
    cuantos : trozos de cada segmento.
    """
    n = np.maximum(1, np.ceil(largo(seg) / paso).astype(np.int64))
    rep = np.repeat(np.arange(len(seg)), n)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    f0, f1 = k / n[rep], (k + 1) / n[rep]
    q = seg[rep]
    dx, dy = q[:, 2] - q[:, 0], q[:, 3] - q[:, 1]
    trozos = np.c_[q[:, 0] + dx * f0, q[:, 1] + dy * f0, q[:, 0] + dx * f1, q[:, 1] + dy * f1]
    return trozos, rep, n


def _asignar_trozos(piezas, cuales, pi, vj, vseg, vfila, n_filas, semiancho, tol):
    """Corta las piezas ``cuales`` en trozos de ~1 m y asigna cada trozo por el caso 1."""
    p = piezas[cuales]
    trozos, rep, n = cortar(p, PASO_TROZO_M)
    # pares (trozo, segmento de vía) heredados de la pieza
    local = np.full(len(piezas), -1, dtype=np.int64)
    local[cuales] = np.arange(len(cuales))
    sel = local[pi] >= 0
    ppi, pvj = local[pi[sel]], vj[sel]
    inicio = np.cumsum(n) - n
    # de cada pieza, solo los trozos que pueden quedar cerca del segmento (ver abajo)
    k0, k1 = _trozos_cercanos(p[ppi], n[ppi], vseg[pvj],
                              semiancho[vfila[pvj]] + tol + 1e-6 + 2 * PASO_TROZO_M)
    cuenta = k1 - k0
    tj = np.repeat(inicio[ppi] + k0, cuenta) + (
        np.arange(cuenta.sum()) - np.repeat(np.cumsum(cuenta) - cuenta, cuenta)
    )
    vj_t = np.repeat(pvj, cuenta)
    # Un segmento de vía cuya envolvente está a más de semiancho + tolerancia de la del trozo
    # no puede dejar ningún punto del trozo a su alcance: no cambia qué trozos cumplen ni su
    # holgura, y con piezas largas son casi todos los pares.
    cerca = _distancia_envolventes(trozos[tj], vseg[vj_t]) <= (
        semiancho[vfila[vj_t]] + tol + 1e-6)
    tj, vj_t = tj[cerca], vj_t[cerca]
    t = _medir(trozos, tj, vseg, vj_t, vfila, n_filas, semiancho, tol)
    ok = (t.par & (t.ca <= tol) & (t.cb <= tol) & (t.cm <= tol)).to_numpy()
    uno = _elegir(t, ok, "cm")
    idx = uno.pieza.to_numpy()
    return trozos[idx], cuales[rep[idx]], uno.fila.to_numpy()


# --------------------------------------------------------------------------------------------
# Frontis por predio
# --------------------------------------------------------------------------------------------


@dataclass
class MedidaFrontis:
    """Lindero exterior de cada huella y sus tramos asignados a una vía, antes de repartirlos
    por sector, vía y cuadra (ver :func:`medir_frontis`).

    Attributes
    ----------
    piezas, dueno : ``linderos_exteriores`` (segmentos ``(n, 4)`` y huella de cada uno).
    exterior_h : lindero exterior de cada huella (m).
    semiancho : semiancho de cada vía (m, fila de la capa).
    tramos : arreglo ``(m, 4)`` de los tramos asignados a una vía.
    fila : posición en la capa de vías de la vía de cada tramo.
    tabla : los tramos como tabla: ``huella``, ``fila_via``, ``x0, y0, x1, y1``,
        ``longitud_m`` (m). No se modifica después: se puede leer desde otro hilo.
    """

    piezas: np.ndarray
    dueno: np.ndarray
    exterior_h: np.ndarray
    semiancho: np.ndarray
    tramos: np.ndarray
    fila: np.ndarray
    tabla: pd.DataFrame


def medir_frontis(
    geoms: np.ndarray,
    vias: gpd.GeoDataFrame,
    areas_verdes: gpd.GeoDataFrame | None = None,
    config: Config = CONFIG,
    arbol: shapely.STRtree | None = None,
) -> MedidaFrontis:
    """Pasos 2 y 3 del frontis (ver el docstring del módulo): lindero exterior de cada huella
    y sus tramos asignados a una vía. :func:`calcular_frontis` los reparte después por sector,
    vía y cuadra y entre las unidades; la categoría de parques solo necesita los tramos, y
    puede calcularse mientras tanto.

    Parameters
    ----------
    geoms : polígonos de las huellas (``huellas(predios)[1]``), en CRS métrico, igual que
        ``vias`` y ``areas_verdes`` (no se revisa aquí: :func:`calcular_frontis` lo exige).
    arbol : ``STRtree(geoms)``, si ya existe (no se repite).
    """
    tol = float(config.tolerancia_frontis_m)
    obst = None if areas_verdes is None else areas_verdes.geometry.to_numpy()
    piezas, dueno = linderos_exteriores(geoms, obst, tol, arbol)
    exterior_h = np.bincount(dueno, weights=largo(piezas), minlength=len(geoms))
    semiancho = semiancho_vias(vias, config)
    tramos, origen, fila = asignar_a_vias(piezas, vias, semiancho, tol, geoms, dueno, arbol)
    tabla = pd.DataFrame(
        {
            "huella": dueno[origen],
            "fila_via": fila,
            "x0": tramos[:, 0],
            "y0": tramos[:, 1],
            "x1": tramos[:, 2],
            "y1": tramos[:, 3],
            "longitud_m": largo(tramos),
        }
    )
    return MedidaFrontis(piezas, dueno, exterior_h, semiancho, tramos, fila, tabla)


def calcular_frontis(
    predios: gpd.GeoDataFrame,
    vias: gpd.GeoDataFrame,
    sectores_barrido: gpd.GeoDataFrame | None = None,
    areas_verdes: gpd.GeoDataFrame | None = None,
    config: Config = CONFIG,
    zona_urbana: gpd.GeoDataFrame | None = None,
    huellas_predios: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    medida: MedidaFrontis | None = None,
    sin_frontis=None,
    al_tener_frentes=None,
) -> ResultadoFrontis:
    """Frontis de cada predio y sus trozos por vía, cuadra y sector de barrido.

    Parameters
    ----------
    predios : capa ``predios`` (CRS métrico). Las unidades con el mismo ``predio_matriz``
        comparten huella y se prorratean (ver el docstring del módulo).
    vias : capa ``vias``: ``nombre``, y si hay, ``tipo``, ``cuadra``, ``ancho_m``.
    sectores_barrido : capa ``sectores_barrido`` (``sector``, ``frecuencia_semanal``); cada
        trozo toma el sector que contiene su punto medio.
    areas_verdes : sus linderos tapan el lindero de los predios (no son frontis).
    config : ``tolerancia_frontis_m`` y anchos por defecto.
    zona_urbana : con los sectores, el área que el barrido debería cubrir (ver
        :func:`area_esperada`). Un trozo de frontis fuera de todo sector da un
        ``FRENTE_SIN_SECTOR`` por predio si cae dentro de esa área; si no (zona rural, sin
        servicio), se cuenta en un solo aviso de resumen con elemento vacío.
    huellas_predios : ``huellas(predios)`` si ya se calculó (no se repite).
    medida : ``medir_frontis`` de esas huellas si ya se calculó (no se repite).
    sin_frontis : ``avisos_sin_frontis`` de esa medida si ya se calculó (o un
        ``concurrent.futures.Future`` que lo dará).
    al_tener_frentes : función que recibe ``ResultadoFrontis.frentes`` apenas están
        listos, antes de esperar ``sin_frontis`` (ver :func:`geo.derivaciones.derivar`).

    Los predios sin frontis dan ``PREDIO_SIN_FRONTIS`` (interiores), ``FRONTIS_SIN_VIA`` (lindero
    exterior cerca de alguna vía: falta un eje o un ancho) o un resumen ``PREDIO_SIN_FRONTIS``
    para los que dan a terreno abierto (ver :func:`_avisos_sin_frontis`).

    Returns
    -------
    ResultadoFrontis
    """
    from geo.zonas import cubre, sector_de_tramos  # zonas usa segmentos: import aquí

    exigir_metrico(predios, "predios")
    exigir_metrico(vias, "vias")
    for nombre, capa in (("sectores_barrido", sectores_barrido), ("areas_verdes", areas_verdes),
                         ("zona_urbana", zona_urbana)):
        if capa is not None:
            exigir_mismo_crs(predios, capa, "predios", nombre)
    exigir_mismo_crs(predios, vias, "predios", "vias")
    if "codigo" not in predios.columns:
        raise ErrorDatos("La capa 'predios' no tiene la columna 'codigo'.", "COLUMNA_FALTANTE")

    huella, geoms, claves = huellas(predios) if huellas_predios is None else huellas_predios
    n_h = len(geoms)
    if medida is None:
        medida = medir_frontis(geoms, vias, areas_verdes, config)
    exterior_h, tramos, fila = medida.exterior_h, medida.tramos, medida.fila
    t = medida.tabla.copy(deep=False)  # se le agregan columnas; la medida queda igual
    lineas = como_lineas(tramos)
    avisos: list[Problema] = []
    # punto medio de cada tramo, igual que line_interpolate_point(0.5, normalized=True); como
    # coordenadas, sin crear un punto de shapely por tramo
    mx = tramos[:, 0] + 0.5 * (tramos[:, 2] - tramos[:, 0])
    my = tramos[:, 1] + 0.5 * (tramos[:, 3] - tramos[:, 1])
    if sectores_barrido is not None and len(sectores_barrido) and len(t):
        pos = sector_de_tramos(lineas, sectores_barrido, (mx, my))
        sect = _texto_o_none(sectores_barrido["sector"].astype("string"))
        frec = pd.to_numeric(sectores_barrido["frecuencia_semanal"], errors="coerce").to_numpy()
        t["sector_barrido"] = np.where(pos >= 0, sect[np.maximum(pos, 0)], None)
        t["frecuencia_semanal"] = np.where(pos >= 0, frec[np.maximum(pos, 0)], np.nan)
        # orden del nombre del sector (sin sector: al final), para agrupar por enteros
        sector_orden = _codigos_orden(pd.Series(np.append(sect, None), dtype=object))[
            np.where(pos >= 0, pos, len(sect))]
        if (pos < 0).any():
            fuera = pos < 0
            esperado = cubre(area_esperada(sectores_barrido, zona_urbana), mx[fuera], my[fuera])
            h_fuera = t.huella.to_numpy()[fuera]
            dentro = np.unique(h_fuera[esperado])
            avisos += problemas_por_huella(
                "FRENTE_SIN_SECTOR", claves[dentro], geoms[dentro],
                "Un trozo de su frontis queda fuera de todo sector de barrido, dentro del área "
                "que los sectores deberían cubrir: revise los límites de la capa "
                "'sectores_barrido'.")
            lejos = np.zeros(n_h, dtype=bool)
            lejos[h_fuera] = True
            lejos[dentro] = False
            lejos = np.flatnonzero(lejos)  # = setdiff1d(unique(h_fuera), dentro)
            if len(lejos):
                avisos.append(resumen_fuera(
                    "FRENTE_SIN_SECTOR", claves[lejos],
                    "predios tienen frontis fuera de los sectores de barrido y de su área "
                    "(zona urbana y envolvente de cada sector): sin servicio de barrido, "
                    "normal en zona rural."))
    else:
        t["sector_barrido"] = None
        t["frecuencia_semanal"] = np.nan
        sector_orden = np.zeros(len(t), dtype=np.int64)
    del mx, my
    nombres = _texto_o_none(vias["nombre"]) if "nombre" in vias.columns else np.full(
        len(vias), None
    )
    t["via"] = nombres[fila] if len(fila) else np.empty(0, dtype=object)
    if "cuadra" in vias.columns:
        cuadra = pd.to_numeric(vias["cuadra"], errors="coerce").astype("Int64")
        t["cuadra"] = cuadra.to_numpy()[fila] if len(fila) else pd.array([], dtype="Int64")
    else:
        t["cuadra"] = pd.array([pd.NA] * len(t), dtype="Int64")

    via_orden = _codigos_orden(pd.Series(nombres, dtype=object))[fila]
    matriz = _agregar_trozos(t, lineas, via_orden, sector_orden)
    sector_h = _sector_del_trozo_mayor(matriz, n_h)
    del lineas
    frentes = _prorratear(matriz, predios, huella)
    del matriz
    cm_pred = np.bincount(frentes["_pos"].to_numpy(), weights=frentes["_cm"].to_numpy(),
                          minlength=len(predios))  # centímetros enteros: suma exacta
    frontis_m = pd.Series(cm_pred / 100.0, index=predios.index, name="frontis_m")
    exterior_m = pd.Series(exterior_h[huella], index=predios.index, name="exterior_m")
    frentes = frentes.drop(columns=["_pos", "_cm"]).reset_index(drop=True)
    for col in ("via", "sector_barrido"):
        frentes[col] = frentes[col].astype(object).where(frentes[col].notna(), None)
    frentes = gpd.GeoDataFrame(frentes, geometry="geometry", crs=predios.crs)
    if al_tener_frentes is not None:
        al_tener_frentes(frentes)

    if sin_frontis is None:
        sin_frontis = avisos_sin_frontis(medida, claves, geoms, huella, vias, config)
    elif hasattr(sin_frontis, "result"):
        sin_frontis = sin_frontis.result()
    avisos += sin_frontis
    sin = _frontis_huella(medida, n_h) <= 0
    marca = np.where(sin & (exterior_h >= MIN_EXTERIOR_M), "frontis_sin_via",
                     np.where(sin, "sin_frontis", "")).astype(object)
    return ResultadoFrontis(frentes, frontis_m, exterior_m, t, huella, avisos, marca, sector_h)


def _sector_del_trozo_mayor(matriz: pd.DataFrame, n_huellas: int) -> np.ndarray:
    """Sector de barrido del trozo (vía, cuadra, sector) más largo de cada huella; con
    empate, el primero en el orden de :func:`_agregar_trozos` (vía, cuadra, sector)."""
    out = np.full(n_huellas, None, dtype=object)
    if matriz.empty:
        return out
    h = matriz["huella"].to_numpy(dtype=np.int64)
    orden = np.lexsort((-matriz["longitud_m"].to_numpy(), h))  # estable
    h = h[orden]
    primero = np.r_[True, h[1:] != h[:-1]]
    s = matriz["sector_barrido"]
    s = s.astype(object).where(s.notna(), None).to_numpy()
    out[h[primero]] = s[orden[primero]]
    return out


def exigir_mismo_crs(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, na: str, nb: str) -> None:
    """Antes de cruzar dos capas: mismo CRS, o un error que dice ambos."""
    if a.crs != b.crs:
        ca = a.crs.to_string() if a.crs else "ninguno"
        cb = b.crs.to_string() if b.crs else "ninguno"
        raise ErrorCRS(
            f"Las capas '{na}' ({ca}) y '{nb}' ({cb}) tienen CRS distintos: reproyecte ambas "
            "al CRS métrico antes de derivar.",
            "CRS_DISTINTO",
        )


def _agregar_trozos(t: pd.DataFrame, lineas: np.ndarray, via_orden: np.ndarray,
                    sector_orden: np.ndarray) -> gpd.GeoDataFrame:
    """Un trozo por huella, vía, cuadra y sector; longitud en centímetros enteros.

    Filas en el orden de ``t.groupby(["huella", "via", "cuadra", "sector_barrido"],
    dropna=False, sort=True)``, y las mismas sumas; pero los grupos salen de enteros y no de
    los textos: ``via_orden`` y ``sector_orden``, por fila de ``t``, ordenan como el nombre de
    la vía y del sector (los faltantes al final). Con 1,3 M tramos, ~0,4 s menos.
    ``_via_orden`` y ``_cuadra_orden`` quedan en la salida para ordenar los frentes
    (:func:`_prorratear`) sin volver a comparar textos.
    """
    cols = ["huella", "via", "cuadra", "sector_barrido", "frecuencia_semanal", "_cm",
            "longitud_m", "geometry", "_via_orden", "_cuadra_orden"]
    if t.empty:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry="geometry")
    h = t["huella"].to_numpy(dtype=np.int64)
    cuadra_orden = _codigos_orden(t["cuadra"])
    orden = np.lexsort((sector_orden, cuadra_orden, via_orden, h))  # estable
    igual = np.ones(len(orden) - 1, dtype=bool)  # fila ordenada i + 1 en el grupo de la i
    for k in (h, via_orden, cuadra_orden, sector_orden):
        ko = k[orden]
        igual &= ko[1:] == ko[:-1]
    nuevo = np.r_[True, ~igual]
    gid = np.empty(len(orden), dtype=np.int64)
    gid[orden] = np.cumsum(nuevo) - 1  # grupo de cada fila de t
    inicio = np.flatnonzero(nuevo)
    primera = orden[inicio]  # primera fila (en el orden de t) de cada grupo
    # frecuencia: la primera no faltante del grupo, como 'first' de pandas
    fo = t["frecuencia_semanal"].to_numpy(dtype=float)[orden]
    n = len(fo)
    k = np.minimum.reduceat(np.where(np.isnan(fo), n, np.arange(n)), inicio)
    frecuencia = np.where(k < n, fo[np.minimum(k, n - 1)], np.nan)
    out = pd.DataFrame({
        "huella": h[primera],
        "via": t["via"].array.take(primera),
        "cuadra": t["cuadra"].array.take(primera),
        "sector_barrido": t["sector_barrido"].array.take(primera),
        "frecuencia_semanal": frecuencia,
        # suma de pandas (compensada, en el orden de t): las mismas cifras que el groupby
        "longitud_m": t["longitud_m"].groupby(gid, sort=True).sum().to_numpy(),
        "_via_orden": via_orden[primera],
        "_cuadra_orden": cuadra_orden[primera],
    })
    # line_merge solo donde hay más de un trozo: el de un solo trozo es el trozo mismo
    cuenta = np.bincount(gid, minlength=len(out))
    varios = cuenta[gid[orden]] > 1
    geom = np.empty(len(out), dtype=object)
    geom[gid[orden][~varios]] = lineas[orden][~varios]
    grupos = np.flatnonzero(cuenta > 1)
    if len(grupos):
        local = np.searchsorted(grupos, gid[orden][varios])
        multi = shapely.multilinestrings(lineas[orden][varios], indices=local)
        geom[grupos] = shapely.line_merge(multi)
    out["geometry"] = geom
    out["_cm"] = np.round(out["longitud_m"].to_numpy() * 100.0).astype(np.int64)
    return gpd.GeoDataFrame(out[cols], geometry="geometry")


def pesos_ph(predios: gpd.GeoDataFrame, huella: np.ndarray) -> np.ndarray:
    """Peso de cada unidad dentro de su huella (suma 1 por huella).

    ``participacion`` si todas las unidades de la huella la tienen (> 0); si no,
    ``area_construida_m2``; si todo es cero, partes iguales.
    """
    def columna(nombre):
        if nombre not in predios.columns:
            return np.full(len(predios), np.nan)
        return pd.to_numeric(predios[nombre], errors="coerce").to_numpy(dtype=float)

    part, area = columna("participacion"), columna("area_construida_m2")
    falta = ~(np.isfinite(part) & (part > 0))
    usa_area = np.bincount(huella, weights=falta, minlength=huella.max() + 1)[huella] > 0
    w = np.where(usa_area, np.where(np.isfinite(area) & (area > 0), area, 0.0), part)
    total = np.bincount(huella, weights=w)[huella]
    n = np.bincount(huella)[huella]
    return np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0 / n)


def _prorratear(matriz: gpd.GeoDataFrame, predios: gpd.GeoDataFrame, huella: np.ndarray):
    """Reparte cada trozo de la matriz entre sus unidades (mayor resto, al centímetro).

    Una huella de una sola unidad se lleva el trozo entero (su peso es 1: el reparto no
    cambia nada); solo los trozos de propiedad horizontal se reparten. Se decide primero, con
    enteros, qué trozo de la matriz y qué centímetros lleva cada fila y en qué orden (por
    predio, vía y cuadra, estable, con los ``_via_orden`` y ``_cuadra_orden`` de
    :func:`_agregar_trozos`), y cada columna se toma una sola vez.
    """
    cols = ["codigo", "via", "cuadra", "sector_barrido", "frecuencia_semanal", "longitud_m",
            "geometry", "_pos", "_cm"]
    m = matriz.reset_index(drop=True)
    codigo = predios["codigo"].astype(str).array  # texto de Arrow: sin un objeto por predio
    unidades_h = np.bincount(huella, minlength=int(huella.max()) + 1 if len(huella) else 0)
    h_m = m["huella"].to_numpy(dtype=np.int64)
    cm_m = m["_cm"].to_numpy(dtype=np.int64)
    sola = unidades_h[h_m] == 1 if len(m) else np.zeros(0, dtype=bool)
    # huella de una unidad → posición de esa unidad
    unica = np.full(len(unidades_h), -1, dtype=np.int64)
    una = unidades_h[huella] == 1
    unica[huella[una]] = np.flatnonzero(una)
    trozo = np.flatnonzero(sola)
    pos = unica[h_m[trozo]]
    cm = cm_m[trozo]
    if not sola.all():
        t_ph, p_ph, c_ph = _prorratear_ph(np.flatnonzero(~sola), h_m, cm_m, predios, huella)
        trozo, pos, cm = (np.concatenate(x) for x in ((trozo, t_ph), (pos, p_ph), (cm, c_ph)))
    con = cm > 0
    trozo, pos, cm = trozo[con], pos[con], cm[con]
    orden = np.lexsort((m["_cuadra_orden"].to_numpy()[trozo], m["_via_orden"].to_numpy()[trozo],
                        pos))  # estable, como sort_values(kind="stable")
    trozo, pos, cm = trozo[orden], pos[orden], cm[orden]
    x = pd.DataFrame({
        "codigo": codigo.take(pos),
        **{c: m[c].array.take(trozo) for c in ("via", "cuadra", "sector_barrido",
                                               "frecuencia_semanal")},
        "longitud_m": cm / 100.0,
        "geometry": m.geometry.array.take(trozo),
        "_pos": pos,
        "_cm": cm,
    })
    return x[cols]


def _codigos_orden(serie: pd.Series) -> np.ndarray:
    """Enteros que ordenan como ``sort_values`` (faltantes al final)."""
    codigos, _ = pd.factorize(serie, sort=True, use_na_sentinel=True)
    return np.where(codigos < 0, codigos.max(initial=-1) + 1, codigos)


def _prorratear_ph(trozos: np.ndarray, h_m: np.ndarray, cm_m: np.ndarray,
                   predios: gpd.GeoDataFrame, huella: np.ndarray):
    """:func:`_prorratear` de los trozos ``trozos`` (posiciones en la matriz), de huellas con
    varias unidades: por cada trozo, en orden, una fila por unidad (en el orden de los
    predios), con sus centímetros por mayor resto (desempate: el predio que va antes).

    Returns ``(trozo, posición del predio, centímetros)`` de cada fila.
    """
    ph = np.flatnonzero(np.bincount(huella)[huella] > 1)  # las unidades de esas huellas
    ph = ph[np.argsort(huella[ph], kind="stable")]  # agrupadas por huella, en su orden
    desde = np.searchsorted(huella[ph], np.arange(int(huella.max()) + 2))
    h = h_m[trozos]
    cuantas = desde[h + 1] - desde[h]
    fila_trozo = np.repeat(trozos, cuantas)
    inicio = np.cumsum(cuantas) - cuantas
    unidad = ph[np.repeat(desde[h], cuantas) + np.arange(cuantas.sum())
                - np.repeat(inicio, cuantas)]
    cm_t = cm_m[fila_trozo]
    exacto = cm_t * pesos_ph(predios, huella)[unidad]
    base = np.floor(exacto + 1e-9).astype(np.int64)
    resto = exacto - base
    grupo = np.repeat(np.arange(len(trozos)), cuantas)
    faltan = cm_m[trozos] - np.bincount(grupo, weights=base, minlength=len(trozos)).astype(
        np.int64)
    orden = np.lexsort((unidad, -resto, grupo))  # por trozo: mayor resto, luego el predio
    rango = np.empty(len(orden), dtype=np.int64)
    rango[orden] = np.arange(len(orden)) - np.repeat(inicio, cuantas)
    return fila_trozo, unidad, base + (rango < faltan[grupo])


def problemas_por_huella(codigo: str, claves: np.ndarray, geoms: np.ndarray,
                         mensajes: str | np.ndarray, severidad: str = "aviso") -> list[Problema]:
    """Un :class:`Problema` por huella, con su punto representativo (vectorizado)."""
    n = len(claves)
    if n == 0:
        return []
    geoms = np.asarray(geoms, dtype=object)
    ubic = np.full(n, "", dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        xy = shapely.get_coordinates(shapely.point_on_surface(geoms[ok]))
        ubic[ok] = [f"{x:.2f} {y:.2f}" for x, y in xy]
    if isinstance(mensajes, str):
        mensajes = [mensajes] * n
    return [Problema(codigo, severidad, "predios", str(c), m, u)
            for c, m, u in zip(claves, mensajes, ubic)]


EJEMPLOS_RESUMEN = 5
"""Códigos de ejemplo que lleva un aviso de resumen."""


_FORMAS_RESUMEN = (("predio queda", "predios quedan"), ("predio tiene", "predios tienen"))
"""Cómo empieza el texto de un aviso de :func:`resumen_fuera`: (singular, plural)."""


def resumen_fuera(codigo: str, claves: np.ndarray, texto: str,
                  total: int | None = None) -> Problema:
    """Un solo aviso (elemento vacío) que cuenta predios sin acción necesaria: ``total``
    (por omisión, los de ``claves``) y hasta :data:`EJEMPLOS_RESUMEN` códigos de ``claves``
    como ejemplo.

    ``texto`` sigue a la cuenta y empieza como uno de :data:`_FORMAS_RESUMEN` («predios
    quedan…», «predio tiene…»): va en singular con un solo predio y en plural con más, venga
    como venga (:mod:`geo.incremental` lo toma de un aviso anterior).
    """
    total = len(claves) if total is None else int(total)
    ejemplos = [str(c) for c in claves[:EJEMPLOS_RESUMEN]]
    mas = ", …" if total > len(ejemplos) else ""
    for singular, plural in _FORMAS_RESUMEN:
        forma = singular if total == 1 else plural
        for venia in (singular, plural):
            if texto.startswith(venia + " "):
                texto = forma + texto[len(venia):]
    return Problema(codigo, "aviso", "predios", "",
                    f"{total} {texto} Ejemplos: {', '.join(ejemplos)}{mas}.")


def cuenta_aviso(aviso: Problema) -> int:
    """Predios que representa un aviso: 1, o la cuenta de un aviso de :func:`resumen_fuera`."""
    if aviso.elemento:
        return 1
    primera = aviso.mensaje.split(" ", 1)[0]
    return int(primera) if primera.isdigit() else 1


def area_esperada(capa: gpd.GeoDataFrame | None,
                  zona_urbana: gpd.GeoDataFrame | None = None) -> np.ndarray:
    """Polígonos del área que una capa de zonas debería cubrir.

    La envolvente convexa de cada parte de cada polígono de ``capa`` y, si se da, la
    ``zona_urbana``. Un predio que queda fuera de ``capa`` pero dentro de esta área indica un
    hueco en los límites; fuera de ella es lo esperado (p. ej. zona rural sin servicio).
    Se usa la envolvente por parte (no la del conjunto) para que una capa en mosaico (varios
    cascos urbanos) no cubra el campo entre ellos.
    """
    out = []
    if capa is not None and len(capa):
        out.append(shapely.convex_hull(shapely.get_parts(capa.geometry.to_numpy())))
    if zona_urbana is not None and len(zona_urbana):
        out.append(shapely.get_parts(zona_urbana.geometry.to_numpy()))
    return np.concatenate(out) if out else np.empty(0, dtype=object)


def alcance_calle(semiancho: np.ndarray, config: Config = CONFIG) -> float:
    """Distancia (m) hasta la que un lindero exterior sin vía «parece dar a una calle».

    Dos veces el mayor semiancho de vía posible (el mayor de la capa y el de los anchos por
    defecto de ``config``, p. ej. 10 m de una avenida de 20 m), más la tolerancia.
    """
    defecto = max(config.ancho_via_por_tipo_m.values()) / 2.0
    mayor = max(float(semiancho.max()) if len(semiancho) else 0.0, defecto)
    return 2.0 * mayor + float(config.tolerancia_frontis_m)


def distancia_segmentos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distancia euclídea entre los segmentos ``a[i]`` y ``b[i]`` (0 si se cortan)."""
    d = np.minimum.reduce([
        distancia_punto_segmento(a[:, 0], a[:, 1], b), distancia_punto_segmento(a[:, 2], a[:, 3], b),
        distancia_punto_segmento(b[:, 0], b[:, 1], a), distancia_punto_segmento(b[:, 2], b[:, 3], a),
    ])
    s1, s2 = lado(b[:, 0], b[:, 1], a), lado(b[:, 2], b[:, 3], a)
    s3, s4 = lado(a[:, 0], a[:, 1], b), lado(a[:, 2], a[:, 3], b)
    cruzan = (s1 * s2 < 0) & (s3 * s4 < 0)
    return np.where(cruzan, 0.0, d)


def _frontis_huella(medida: MedidaFrontis, n_huellas: int) -> np.ndarray:
    """Frontis medido de cada huella (m, suma de sus tramos)."""
    t = medida.tabla
    return np.bincount(t["huella"].to_numpy(), weights=t["longitud_m"].to_numpy(),
                       minlength=n_huellas)


def avisos_sin_frontis(medida: MedidaFrontis, claves: np.ndarray, geoms: np.ndarray,
                       huella: np.ndarray, vias: gpd.GeoDataFrame,
                       config: Config = CONFIG) -> list[Problema]:
    """Avisos de las huellas sin frontis (ver :func:`_avisos_sin_frontis`) de una medida
    (:func:`medir_frontis`); ``claves``, ``geoms`` y ``huella`` como los da :func:`huellas`.
    Solo lee la medida: puede calcularse en otro hilo mientras se reparte el frontis."""
    n_h = len(geoms)
    return _avisos_sin_frontis(_frontis_huella(medida, n_h), medida.exterior_h, claves, geoms,
                               np.bincount(huella, minlength=n_h), medida.piezas, medida.dueno,
                               vias, medida.semiancho, float(config.tolerancia_frontis_m),
                               config)


def _avisos_sin_frontis(frontis_h, exterior_h, claves, geoms, unidades, piezas, dueno, vias,
                        semiancho, tol, config):
    """Avisos de huellas sin frontis.

    * Todo el lindero compartido → ``PREDIO_SIN_FRONTIS`` por predio (predio interior).
    * Lindero exterior y alguna vía a menos de :func:`alcance_calle` de él → ``FRONTIS_SIN_VIA``
      por predio: parece dar a una calle cuyo eje falta en la capa o cuyo ``ancho_m`` es menor
      que el real.
    * Lindero exterior lejos de toda vía → terreno abierto (chacras, ribera): un solo
      ``PREDIO_SIN_FRONTIS`` de resumen (elemento vacío) con la cuenta y algunos ejemplos.
    """
    sin = frontis_h <= 0
    interior = np.flatnonzero(sin & (exterior_h < MIN_EXTERIOR_M))
    exterior = np.flatnonzero(sin & (exterior_h >= MIN_EXTERIOR_M))
    alcance = alcance_calle(semiancho, config)
    cerca = np.zeros(len(frontis_h), dtype=bool)
    if len(exterior) and len(vias):
        vseg, _ = segmentos(vias.geometry.to_numpy())
        es_ext = np.zeros(len(frontis_h), dtype=bool)
        es_ext[exterior] = True
        cual = np.flatnonzero(es_ext[dueno])
        if len(cual) and len(vseg):
            pi, vj = _pares_via(piezas[cual], vseg, np.full(len(vseg), alcance), geoms,
                                dueno[cual])
            d = distancia_segmentos(piezas[cual][pi], vseg[vj])
            cerca[dueno[cual][pi[d <= alcance]]] = True
    def ph(h):
        return f" (propiedad horizontal, {unidades[h]} unidades)" if unidades[h] > 1 else ""

    calle = exterior[cerca[exterior]]
    abierto = exterior[~cerca[exterior]]
    avisos = problemas_por_huella(
        "FRONTIS_SIN_VIA", claves[calle], geoms[calle],
        [f"El predio{ph(h)} tiene {exterior_h[h]:.1f} m de lindero exterior (no compartido con "
         f"otros predios ni áreas verdes) a menos de {alcance:.1f} m de una vía, pero ninguna "
         "vía de la capa 'vias' a su alcance para frontis (semiancho + tolerancia). Frontis = "
         "0. Si da a una calle, falta en la capa 'vias' o su ancho_m es menor que el real."
         for h in calle])
    avisos += problemas_por_huella(
        "PREDIO_SIN_FRONTIS", claves[interior], geoms[interior],
        [f"Predio interior{ph(h)}: todo su lindero es compartido con otros predios o áreas "
         "verdes; frontis = 0. Verifique su acceso (servidumbre, pasaje) en campo."
         for h in interior])
    if len(abierto):
        avisos.append(resumen_fuera(
            "PREDIO_SIN_FRONTIS", claves[abierto],
            f"predios tienen lindero exterior pero ninguna vía a menos de {alcance:.1f} m "
            "(terreno abierto: chacras, ríos); frontis = 0, no requiere acción."))
    return avisos


# --------------------------------------------------------------------------------------------
# Anchos de vía estimados
# --------------------------------------------------------------------------------------------


SEMIANCHO_MAX_ESTIMADO_M = 25.0
"""Distancia máxima (m) del eje de una vía a la que :func:`estimar_ancho_vias` busca los
linderos de manzana que marcan su ancho."""


def estimar_ancho_vias(
    vias: gpd.GeoDataFrame,
    predios: gpd.GeoDataFrame,
    max_semiancho_m: float = SEMIANCHO_MAX_ESTIMADO_M,
    solo_faltantes: bool = True,
) -> gpd.GeoDataFrame:
    """Estima ``ancho_m`` de cada vía a partir de los linderos de manzana que la bordean.

    Para cada vía se toman los trozos de lindero exterior de los predios casi paralelos a
    ella, a menos de ``max_semiancho_m`` de su eje y cuya proyección cae dentro del tramo;
    cada trozo cuenta solo para su vía más cercana. Por cada lado de la vía se toma la mediana
    (ponderada por longitud) de la distancia eje–lindero; el semiancho es la mayor de las dos
    (si el eje no va por el centro, el lado cercano queda holgado) y
    ``ancho_m = 2 × semiancho`` redondeado a 0,1 m.
    Útil cuando la capa de vías no trae anchos (p. ej. ejes de OpenStreetMap).

    Parameters
    ----------
    solo_faltantes : si es verdadero, solo rellena ``ancho_m`` vacío o ≤ 0.

    Returns
    -------
    Copia de ``vias`` con ``ancho_m`` (m) completado donde se pudo estimar.
    """
    exigir_metrico(vias, "vias")
    exigir_metrico(predios, "predios")
    exigir_mismo_crs(predios, vias, "predios", "vias")
    _, geoms, _ = huellas(predios)
    piezas, dueno = linderos_exteriores(geoms, None, 0.5)
    vseg, vfila = segmentos(vias.geometry.to_numpy())
    out = vias.copy()
    if "ancho_m" not in out.columns:
        out["ancho_m"] = np.nan
    if len(piezas) == 0 or len(vseg) == 0:
        return out
    pi, vj = _pares_via(piezas, vseg, np.full(len(vseg), max_semiancho_m), geoms, dueno)
    p, g = piezas[pi], vseg[vj]
    mx, my = (p[:, 0] + p[:, 2]) / 2, (p[:, 1] + p[:, 3]) / 2
    gux, guy = unitario(g)
    pux, puy = unitario(p)
    a = (mx - g[:, 0]) * gux + (my - g[:, 1]) * guy
    d = np.abs((mx - g[:, 0]) * -guy + (my - g[:, 1]) * gux)
    ok = ((np.abs(pux * gux + puy * guy) >= COS_PARALELO) & (a >= 0) & (a <= largo(g))
          & (d <= max_semiancho_m))
    lado_p = lado(mx, my, g)
    pi, fila, d, lado_p = pi[ok], vfila[vj[ok]], d[ok], lado_p[ok]
    _, pos = agrupar_min(pi, d)  # cada trozo, a su vía más cercana
    pi, fila, d, lado_p = pi[pos], fila[pos], d[pos], lado_p[pos]
    w = largo(piezas[pi])
    # mediana ponderada por (vía, lado); el semiancho es el mayor de los dos lados (un eje
    # que no va por el centro deja un lado más lejos; el otro queda holgado)
    clave = fila * 2 + (lado_p > 0)
    orden = np.lexsort((d, clave))
    clave, d, w = clave[orden], d[orden], w[orden]
    inicio = np.r_[True, clave[1:] != clave[:-1]]
    grupo = np.cumsum(inicio) - 1
    acum = np.cumsum(w)
    base = (acum - w)[inicio][grupo]
    total = np.bincount(grupo, weights=w)[grupo]
    cand = np.flatnonzero((acum - base) >= total / 2)
    _, pos = agrupar_min(grupo[cand], cand.astype(float))
    filas = clave[cand[pos]] // 2
    semi = np.zeros(len(vias))
    np.maximum.at(semi, filas, d[cand[pos]])
    filas = np.unique(filas)
    semi = semi[filas]
    estimado = np.full(len(vias), np.nan)
    estimado[filas] = np.round(2 * semi, 1)
    actual = pd.to_numeric(out["ancho_m"], errors="coerce").to_numpy(dtype=float)
    falta = ~(np.isfinite(actual) & (actual > 0)) if solo_faltantes else np.ones(len(out), bool)
    nuevo = np.where(falta & np.isfinite(estimado), estimado, actual)
    log.info("ancho de vía estimado en %d de %d vías", int((falta & np.isfinite(estimado)).sum()),
             len(vias))
    out["ancho_m"] = nuevo
    return out

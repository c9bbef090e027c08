"""Asignación de zonas y sectores a cada predio (recolección, serenazgo, barrio).

Regla única: **cada predio recibe exactamente una zona**, la que contiene la mayor parte de
su área. Un predio completamente dentro de una sola zona la recibe sin medir áreas; solo los
que cruzan un límite (o caen en dos zonas superpuestas) pasan por la intersección de áreas.
Así un predio apoyado en el límite entre dos zonas no queda sin zona (``within`` falla con el
punto sobre el borde) ni duplicado (``intersects`` devuelve las dos). Con empate exacto gana
la zona que aparece primero en su capa. Si la segunda zona se lleva más de
``umbral_division`` (10 %) del área, el predio se marca como dividido.

Para saber si una zona contiene a un predio: si el predio no toca el contorno de ninguna
parte de la capa, basta con uno de sus vértices (``contains_xy`` con la parte preparada;
está entero dentro o entero fuera); si lo toca (p. ej. un lado sobre el límite), ``contains``
con el polígono entero. Da lo mismo que ``contains`` para todos, sin su costo.

Los trozos de frontis toman el sector de barrido que contiene su punto medio; si el punto
cae justo en un límite, el sector que contiene más longitud del trozo (y con empate, el
primero de la capa).

Todas las capas en el mismo CRS métrico (coordenadas y longitudes en m, áreas en m²).
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


class PrediosEnZonas:
    """Polígonos de los predios con su ``STRtree`` y, calculados una sola vez para todas las
    capas de zonas, qué predios admiten la vía rápida y su primer vértice (en el CRS métrico
    de los predios).

    Vía rápida: un polígono conexo que no toca el contorno de una parte de zona está entero
    dentro o entero fuera de ella, y lo dice cualquiera de sus puntos. La admiten los
    polígonos (o multipolígonos de una parte) de área positiva; si tienen huecos, o son
    multipolígonos, además deben ser válidos (un hueco fuera del borde exterior rompería la
    regla). Los demás siguen el camino de siempre (``contains`` y áreas).

    Una sola instancia sirve para varias capas y varias llamadas (:func:`asignar_zonas`,
    :func:`asignar_por_area`): con un millón de predios, rehacer el árbol y los vértices
    costaba ~0,8 s. No es para usar desde dos hilos a la vez.
    """

    def __init__(self, geoms: np.ndarray, arbol: shapely.STRtree | None = None):
        self.geoms = np.asarray(geoms, dtype=object)
        n = len(self.geoms)
        self.arbol = shapely.STRtree(self.geoms) if arbol is None else arbol
        self._hecho = np.zeros(n, dtype=bool)
        self._apto = np.zeros(n, dtype=bool)
        self._x = np.zeros(n)
        self._y = np.zeros(n)

    def vertices(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(apto, x, y)`` de cada posición de ``idx``: si admite la vía rápida y su primer
        vértice (m). Solo se calculan los predios aún no vistos."""
        falta = np.zeros(len(self.geoms), dtype=bool)
        falta[idx] = True
        falta &= ~self._hecho
        nuevo = np.flatnonzero(falta)
        if len(nuevo):
            g = self.geoms[nuevo]
            tipo = shapely.get_type_id(g)
            apto = (tipo == 3) | ((tipo == 6) & (shapely.get_num_geometries(g) == 1))
            apto &= shapely.area(g) > 0  # descarta también vacíos y nulos (área 0 o NaN)
            revisar = apto & ((tipo == 6) | (shapely.get_num_interior_rings(g) > 0))
            apto[revisar] = shapely.is_valid(g[revisar])
            ga = g[apto]
            xy = shapely.get_coordinates(ga)
            nc = shapely.get_num_coordinates(ga)
            primero = np.cumsum(nc) - nc  # el primer vértice del borde exterior
            self._x[nuevo[apto]] = xy[primero, 0]
            self._y[nuevo[apto]] = xy[primero, 1]
            self._apto[nuevo] = apto
            self._hecho[nuevo] = True
        return self._apto[idx], self._x[idx], self._y[idx]


def _tocan_borde(predios: PrediosEnZonas, partes: np.ndarray) -> np.ndarray:
    """Máscara (una por predio) de los que tocan el contorno (anillos exteriores o
    interiores) de alguna de las ``partes`` (polígonos, mismo CRS métrico).

    Cada segmento del contorno se busca en el árbol de los predios por envolvente; antes de
    la prueba exacta (``intersects``) se descartan los predios cuya envolvente queda entera a
    un lado de la recta del segmento (con holgura: el descarte nunca se equivoca). Así un
    lado largo y diagonal no prueba uno por uno los miles de predios de su envolvente.
    """
    toca = np.zeros(len(predios.geoms), dtype=bool)
    xy, anillo = shapely.get_coordinates(shapely.get_rings(partes), return_index=True)
    seg = (anillo[1:] == anillo[:-1]) & np.any(xy[1:] != xy[:-1], axis=1)  # de longitud > 0
    a, b = xy[:-1][seg], xy[1:][seg]
    if len(a) == 0:
        return toca
    lineas = shapely.linestrings(np.stack([a, b], axis=1))
    si, pj = predios.arbol.query(lineas)
    caja = shapely.bounds(predios.geoms[pj])
    d, a = b[si] - a[si], a[si]
    izquierda = np.ones(len(si), dtype=bool)  # las cuatro esquinas a la izquierda del segmento
    derecha = np.ones(len(si), dtype=bool)
    for ex, ey in ((0, 1), (2, 1), (0, 3), (2, 3)):
        t1, t2 = d[:, 0] * (caja[:, ey] - a[:, 1]), d[:, 1] * (caja[:, ex] - a[:, 0])
        cruz, holgura = t1 - t2, 1e-9 * (np.abs(t1) + np.abs(t2))  # error de redondeo ≪ holgura
        izquierda &= cruz > holgura
        derecha &= cruz < -holgura
    cerca = ~(izquierda | derecha)
    si, pj = si[cerca], pj[cerca]
    toca[pj[shapely.intersects(lineas[si], predios.geoms[pj])]] = True
    return toca


def _sin_repetir(i: np.ndarray, j: np.ndarray, nj: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pares ``(i, j)`` sin repetir (``0 <= j < nj``, ``0 <= i < n``). Solo se ordenan los
    de las ``i`` que aparecen más de una vez; el orden de los demás no cambia."""
    mult = np.bincount(i, minlength=n)[i] > 1
    if not mult.any():
        return i, j
    par = np.unique(i[mult].astype(np.int64) * nj + j[mult])
    return np.r_[i[~mult], par // nj], np.r_[j[~mult], par % nj]


def asignar_por_area(
    geoms: np.ndarray, zonas: gpd.GeoDataFrame, umbral_division: float = UMBRAL_DIVISION,
    arbol: shapely.STRtree | None = None, predios: PrediosEnZonas | None = None,
) -> pd.DataFrame:
    """Zona (posición en ``zonas``) de mayor área para cada geometría.

    Parameters
    ----------
    geoms : polígonos de los predios (CRS métrico, el de ``zonas``; áreas en m²).
    zonas : polígonos de las zonas.
    umbral_division : fracción del área en la segunda zona para marcar ``dividido``.
    arbol : ``STRtree(geoms)`` (mismo orden) si ya se tiene.
    predios : ``PrediosEnZonas(geoms, arbol)`` si ya se tiene (se reusan su árbol y los
        vértices ya calculados).

    Returns
    -------
    DataFrame con ``pos`` (posición de la zona, -1 si ninguna), ``fraccion`` (del área del
    predio en esa zona; 1.0 si una sola zona lo contiene), ``fraccion_segunda`` y
    ``dividido``, una fila por geometría.
    """
    if predios is None:
        predios = PrediosEnZonas(geoms, arbol)
    return _asignar(predios, zonas, umbral_division)


def _asignar(predios: PrediosEnZonas, zonas: gpd.GeoDataFrame,
             umbral_division: float) -> pd.DataFrame:
    """:func:`asignar_por_area` sobre predios ya preparados (compartidos entre capas)."""
    geoms = predios.geoms
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
    nz = len(zg)
    ki, pj = predios.arbol.query(partes)  # pares (parte, predio) cuyas envolventes se tocan
    pj = pj.astype(np.int64)
    shapely.prepare(partes)
    # ¿Qué partes contienen a cada predio? Igual que 'contains' de la parte preparada, pero
    # con un solo punto por predio si este no toca el contorno de ninguna parte (ver
    # PrediosEnZonas). Exige partes poligonales válidas; si no, todo va por 'contains'.
    rapido = np.zeros(len(pj), dtype=bool)
    x = y = np.zeros(len(pj))
    if len(pj) and np.all(shapely.get_type_id(partes) == 3) and shapely.is_valid(partes).all():
        rapido, x, y = predios.vertices(pj)
        rapido &= ~_tocan_borde(predios, partes)[pj]
    dentro = np.empty(len(pj), dtype=bool)
    dentro[rapido] = shapely.contains_xy(partes[ki[rapido]], x[rapido], y[rapido])
    lento = ~rapido
    dentro[lento] = shapely.contains(partes[ki[lento]], geoms[pj[lento]])
    # predios que deben ir por las áreas aunque ninguna parte los contenga: los de la vía
    # rápida sin parte que los contenga están fuera de todas (sin área en común)
    revisar = np.zeros(n, dtype=bool)
    revisar[pj[lento]] = True
    ki, pj = ki[dentro], pj[dentro]
    zi = zona_de[ki]
    if not np.array_equal(zona_de, np.arange(nz)):  # varias partes por zona
        pj, zi = _sin_repetir(pj, zi, nz, n)  # cada (predio, zona) una sola vez
    veces = np.bincount(pj, minlength=n)
    unico = veces[pj] == 1
    pos[pj[unico]] = zi[unico]
    frac[pj[unico]] = 1.0

    resto = np.flatnonzero((veces > 1) | (revisar & (veces == 0)))
    if len(resto):
        gr = geoms[resto]
        resto = resto[~shapely.is_empty(gr) & shapely.is_valid_input(gr) & (shapely.area(gr) > 0)]
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
    longitud del tramo (m, CRS métrico común); con empate, el primero de la capa. ``medio``:
    los puntos medios, si ya se tienen, como puntos o como ``(x, y)`` (si no,
    ``line_interpolate_point(lineas, 0.5, normalized=True)``).
    """
    lineas = np.asarray(lineas, dtype=object)
    out = np.full(len(lineas), -1, dtype=np.int64)
    if len(lineas) == 0 or len(sectores) == 0:
        return out
    sg = sectores.geometry.to_numpy()
    partes, sector_de = shapely.get_parts(sg, return_index=True)  # ver asignar_por_area
    if medio is None:
        medio = shapely.line_interpolate_point(lineas, 0.5, normalized=True)
    if isinstance(medio, tuple):
        x, y = medio
    else:
        medio = np.asarray(medio, dtype=object)
        x, y = shapely.get_x(medio), shapely.get_y(medio)  # NaN si falta: en ningún sector
    arbol = shapely.STRtree(partes)
    ti, kj = puntos_en_poligonos(partes, x, y, arbol)
    ti, sj = ti.astype(np.int64), sector_de[kj]
    if not np.array_equal(sector_de, np.arange(len(sg))):
        ti, sj = _sin_repetir(ti, sj, len(sg), len(lineas))
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


POCOS_POLIGONOS = 10_000
"""Hasta cuántos polígonos :func:`puntos_en_poligonos` los recorre uno por uno en numpy en vez
de crear un punto de shapely por coordenada para consultar un STRtree."""


def puntos_en_poligonos(poligonos: np.ndarray, x: np.ndarray, y: np.ndarray,
                        arbol: shapely.STRtree | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pares ``(i, k)``: el punto ``(x[i], y[i])`` está en el polígono ``poligonos[k]`` o en su
    borde (``intersects``), en cualquier orden.

    Hasta ``POCOS_POLIGONOS`` polígonos (sectores, zonas, o sus partes) no se crea un punto por
    coordenada: con los puntos ordenados por ``x``, cada polígono, preparado una vez, toma la
    franja de su envolvente (``searchsorted``), filtra por ``y`` y prueba con
    ``intersects_xy``. Es el mismo resultado que consultar un STRtree de los polígonos con los
    puntos y probar ``intersects``, que es lo que se hace con más (``arbol``: ese STRtree, si
    ya existe). Crear 1,2 M puntos de shapely costaba ~1,6 s; la franja, ~0,1 s.
    """
    poligonos = np.asarray(poligonos, dtype=object)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(poligonos) == 0 or len(x) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    shapely.prepare(poligonos)
    if len(poligonos) > POCOS_POLIGONOS:
        puntos = shapely.points(x, y)
        ti, kj = (arbol or shapely.STRtree(poligonos)).query(puntos)
        toca = shapely.intersects(poligonos[kj], puntos[ti])
        return ti[toca].astype(np.int64), kj[toca].astype(np.int64)
    orden = np.argsort(x, kind="stable")  # los NaN quedan al final y fuera de toda franja
    xs, ys = x[orden], y[orden]
    caja = shapely.bounds(poligonos)
    desde = np.searchsorted(xs, caja[:, 0], side="left")  # xs >= x0
    hasta = np.searchsorted(xs, caja[:, 2], side="right")  # xs <= x1
    ti, kj = [], []
    for k in np.flatnonzero(hasta > desde):
        y0, y1 = caja[k, 1], caja[k, 3]
        franja = ys[desde[k]:hasta[k]]
        cand = desde[k] + np.flatnonzero((franja >= y0) & (franja <= y1))
        dentro = orden[cand[shapely.intersects_xy(poligonos[k], xs[cand], ys[cand])]]
        ti.append(dentro)
        kj.append(np.full(len(dentro), k, dtype=np.int64))
    if not ti:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(ti).astype(np.int64), np.concatenate(kj)


def cubre(areas: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Máscara: el punto ``(x[i], y[i])`` está en alguna de ``areas`` o en su borde (ver
    :func:`puntos_en_poligonos`)."""
    out = np.zeros(len(x), dtype=bool)
    out[puntos_en_poligonos(areas, x, y)[0]] = True
    return out


def asignar_zonas(
    geoms: np.ndarray,
    capas: dict[str, gpd.GeoDataFrame],
    barrio_declarado: pd.Series | None = None,
    umbral_division: float = UMBRAL_DIVISION,
    arbol: shapely.STRtree | None = None,
    predios: PrediosEnZonas | None = None,
) -> pd.DataFrame:
    """Zona de recolección, sector de recolección, zona de serenazgo y barrio por geometría.

    Parameters
    ----------
    geoms : polígonos (una fila por huella o por predio).
    capas : capas del distrito; las ausentes dan ``None`` (barrio: el declarado).
    barrio_declarado : barrio declarado, alineado con ``geoms`` (respaldo si no hay capa
        ``barrios`` o el predio queda fuera de todos).
    arbol : ``STRtree(geoms)``, si ya existe (no se repite).
    predios : ``PrediosEnZonas(geoms, arbol)``, si ya existe (ver :func:`asignar_por_area`).

    Returns
    -------
    DataFrame (índice 0..n-1) con ``zona_recoleccion``, ``sector_recoleccion``,
    ``zona_serenazgo``, ``barrio``, ``flags`` (marcas separadas por ``;``) y, por cada
    columna, ``_frac_<columna>``: fracción del área en la segunda zona.
    """
    n = len(geoms)
    tabla = pd.DataFrame(index=range(n))
    marcas = np.full(n, "", dtype=object)
    for capa, col_capa, col_salida, marca in ASIGNACIONES:
        zonas = capas.get(capa)
        if zonas is None or len(zonas) == 0:
            tabla[col_salida] = None
            continue
        exigir_metrico(zonas, capa)
        if col_capa not in zonas.columns:
            raise ErrorDatos(f"La capa '{capa}' no tiene la columna '{col_capa}'.",
                             "COLUMNA_FALTANTE")
        if predios is None:  # un solo árbol (y primeros vértices) para todas las capas
            predios = PrediosEnZonas(geoms, arbol)
        r = _asignar(predios, zonas, umbral_division)
        valores = zonas[col_capa].astype("string").astype(object).to_numpy()
        valores = np.where(pd.notna(valores), valores, None)  # <NA> → None (pocas filas)
        p = r["pos"].to_numpy()
        tabla[col_salida] = pd.Series(np.where(p >= 0, valores[np.maximum(p, 0)], None),
                                      dtype=object)
        div = np.flatnonzero(r["dividido"].to_numpy())  # solo esas filas cambian de marca
        if len(div):
            m = marcas[div]
            marcas[div] = np.where(m == "", marca, m + ";" + marca)
        tabla[f"_frac_{col_salida}"] = r["fraccion_segunda"].to_numpy()
    if barrio_declarado is not None:
        decl = pd.Series(barrio_declarado.to_numpy(), dtype=object)
        tabla["barrio"] = tabla["barrio"].where(tabla["barrio"].notna(), decl)
        tabla["barrio"] = tabla["barrio"].where(tabla["barrio"].notna(), None)
    tabla["flags"] = pd.Series(marcas, dtype=object)
    return tabla


def avisos_divididos(tabla: pd.DataFrame, claves: np.ndarray, geoms: np.ndarray) -> list[Problema]:
    """Un aviso por predio dividido entre dos zonas (``ZONA_DIVIDIDA``).

    ``tabla``: la de :func:`asignar_zonas` (índice 0..n-1, alineada con ``claves`` y
    ``geoms``). La ubicación del aviso es un punto sobre el predio (``point_on_surface``, en
    el CRS métrico de los predios, m).
    """
    avisos = []
    flags = tabla["flags"]
    con = np.flatnonzero((flags != "").to_numpy())  # solo las filas con alguna marca
    flags = flags.iloc[con]
    for _, _, col, marca in ASIGNACIONES:
        frac = f"_frac_{col}"
        if frac not in tabla.columns:
            continue
        filas = con[np.flatnonzero(flags.str.contains(marca, regex=False).to_numpy())]
        if len(filas) == 0:
            continue
        punto = shapely.point_on_surface(np.asarray(geoms, dtype=object)[filas])
        px, py = shapely.get_x(punto), shapely.get_y(punto)
        valor = tabla[col].loc[filas].to_numpy()
        fraccion = tabla[frac].loc[filas].to_numpy()
        for i, v, f, x, y in zip(filas, valor, fraccion, px, py):
            avisos.append(Problema(
                "ZONA_DIVIDIDA", "aviso", "predios", str(claves[i]),
                f"El predio cruza el límite de {col.replace('_', ' ')}: se asignó "
                f"'{v}' (mayor área) pero {f:.0%} de su área "
                "está en otra. Revise el límite o el predio.",
                f"{x:.2f} {y:.2f}"))
    return avisos

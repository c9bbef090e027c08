"""Re-derivación incremental: tras editar unos predios, recalcular solo lo que el cambio alcanza.

De qué depende lo derivado de una huella
----------------------------------------
Leyendo :mod:`geo.frontis`, :mod:`geo.proximidad` y :mod:`geo.zonas`, lo derivado de una huella
(frontis y trozos, categoría de parques, zonas, sector de barrido, marcas y avisos) es función de:

* la geometría de la huella y los atributos de sus unidades (``participacion``,
  ``area_construida_m2``, ``frontis_declarado_m``, ``barrio``, ``predio_matriz``…);
* los linderos de **otras huellas a menos de la tolerancia de frontis** (0,5 m): lo compartido
  con un vecino no es lindero exterior (:func:`geo.frontis.linderos_exteriores`). Es la única
  dependencia entre predios: la asignación de un lindero exterior a una vía depende solo de las
  vías, y las zonas, sectores y áreas verdes son capas que no cambian al editar predios;
* las capas globales: vías (hasta ``2 × semiancho máximo + tolerancia`` para el aviso
  ``FRONTIS_SIN_VIA``; toda la red con ``distancia="red"``), áreas verdes (todas: la más cercana
  puede estar lejos), sectores y zonas.

Por eso, tras editar predios:

1. **Afectadas** = las huellas de los predios cambiados, nuevos o borrados (con todas sus
   unidades: mismo ``predio_matriz``, antes y después) y, si cambió la geometría o la matriz,
   las huellas a menos de ``tolerancia + MARGEN_M`` de la geometría vieja o nueva (sus linderos
   compartidos pueden volverse exteriores o dejar de serlo). Si cambiaron las áreas verdes
   (``capas_previas``), además: las huellas junto a las áreas verdes cambiadas (sus linderos),
   las que tenían por más cercana a una de ellas o quedan ahora a menos de su distancia previa
   (categoría B/C), y las que tienen frontis sobre una cuadra que las bordea (categoría A).
2. **Contexto** = las huellas a menos de ``tolerancia + MARGEN_M`` de las afectadas: se
   incluyen para que los linderos compartidos de las afectadas se midan igual que en la
   corrida completa; su propio resultado se descarta (a ellas les faltarían sus vecinos).
3. Se llama a :func:`geo.derivaciones.derivar` sobre ese subconjunto, con las vías a su
   alcance (más la vía más ancha del distrito, para que el alcance de ``FRONTIS_SIN_VIA`` sea el
   mismo) y las demás capas enteras, y se empalma el resultado de las afectadas en el previo.

Los avisos por predio se reemplazan por huella; los avisos de resumen (elemento vacío) se
rehacen con la cuenta total. Las micro-rutas no dependen de los predios y se conservan.
Si cambian otras capas (vías, sectores, zonas), el umbral o la distancia, o lo afectado pasa de
``FRACCION_COMPLETA`` del distrito, se deriva todo (``completo=True``).

Tarifas
-------
El arbitrio de **todo** predio puede cambiar con un solo predio editado: cada tasa es costo /
Σ criterio (frontis ponderado del sector, m² de la zona, predios de la categoría…). Así que las
tarifas se recalculan siempre enteras con :func:`geo.tarifas.calcular_tarifas` sobre los
criterios ya derivados (lo caro es la derivación geométrica) y «el cambio de arbitrio de cada
predio afectado» es :func:`cambios_de_arbitrio`: la comparación antes/después de todos los
predios, listando los que cambian.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.claves import arrow_texto, esta_en, posiciones
from geo.config import CONFIG, Config
from geo.derivaciones import COLUMNAS_DERIVADAS, Derivados, derivar
from geo.errores import ErrorDatos, Problema
from geo.frontis import alcance_calle, resumen_fuera, semiancho_vias

log = logging.getLogger(__name__)

MARGEN_M = 1.0
"""Holgura (m) sobre la tolerancia de frontis al buscar vecinos: no cuesta casi nada y cubre
redondeos de coordenadas."""
FRACCION_COMPLETA = 0.3
"""Si lo que hay que recalcular (afectados + contexto) pasa de esta fracción de los predios,
se deriva todo: ya no compensa recortar."""
RESUMENES = ("PREDIO_SIN_FRONTIS", "FRENTE_SIN_SECTOR", "PREDIO_SIN_ZONA")
"""Códigos de aviso que, además de avisos por predio, tienen un aviso de resumen."""


@dataclass
class ResultadoIncremental:
    """Resultado de :func:`derivar_incremental`.

    Attributes
    ----------
    derivados : las derivaciones del distrito completo, iguales a ``derivar(capas_nuevas)``.
    recalculados : códigos (de la capa nueva) cuyo resultado se recalculó.
    borrados : códigos que ya no están.
    contexto : predios que se derivaron solo como contexto (vecinos de los recalculados).
    completo : si se derivó todo el distrito (ver ``motivo``).
    motivo : por qué se recalculó lo que se recalculó, en español.
    segundos : tiempo de la re-derivación.
    """

    derivados: Derivados
    recalculados: frozenset[str]
    borrados: frozenset[str] = frozenset()
    contexto: int = 0
    completo: bool = False
    motivo: str = ""
    segundos: float = 0.0
    ventana: tuple[float, float, float, float] | None = field(default=None, repr=False)


# --------------------------------------------------------------------------------------------
# Claves de huella y cambios
# --------------------------------------------------------------------------------------------


def codigos(predios: pd.DataFrame) -> np.ndarray:
    """``codigo`` como arreglo de texto (object)."""
    c = predios["codigo"]
    if not pd.api.types.is_string_dtype(c):
        c = c.astype(str)
    return c.to_numpy(dtype=object)


def claves_huella(predios: pd.DataFrame) -> np.ndarray:
    """Clave de la huella de cada predio: ``predio_matriz`` si lo tiene, si no ``codigo``.

    La misma regla que :func:`geo.frontis.huellas`, sin tocar geometrías (arreglo object).
    """
    clave = codigos(predios).copy()
    if "predio_matriz" not in predios.columns:
        return clave
    m = predios["predio_matriz"].to_numpy(dtype=object)
    con = np.flatnonzero(pd.notna(m))
    if len(con):
        limpio = np.array([str(x).strip() for x in m[con]] + [None], dtype=object)[:-1]
        ok = limpio != ""
        clave[con[ok]] = limpio[ok]
    return clave


def detectar_cambios(predios_antes: gpd.GeoDataFrame,
                     predios_despues: gpd.GeoDataFrame) -> tuple[set[str], set[str]]:
    """Códigos cambiados (o nuevos) y borrados entre dos versiones de la capa de predios.

    Un predio cambia si cambia su geometría (``equals_exact`` sin tolerancia) o alguna columna
    común (los NaN se comparan iguales). Vectorizado; útil cuando quien edita no lleva la
    cuenta de lo que tocó.
    """
    ca = predios_antes["codigo"].astype(str)
    cd = predios_despues["codigo"].astype(str)
    pos = pd.Index(ca).get_indexer(cd)
    nuevo = pos < 0
    borrados = set(ca[~esta_en(ca, cd)])
    i_d = np.flatnonzero(~nuevo)
    i_a = pos[~nuevo]
    ga = predios_antes.geometry.to_numpy()[i_a]
    gd = predios_despues.geometry.to_numpy()[i_d]
    distinto = ~shapely.equals_exact(ga, gd, tolerance=0.0)
    comunes = [c for c in predios_despues.columns
               if c in predios_antes.columns and c != predios_despues.geometry.name]
    for c in comunes:
        a = predios_antes[c].to_numpy(dtype=object)[i_a]
        d = predios_despues[c].to_numpy(dtype=object)[i_d]
        na, nd = pd.isna(a), pd.isna(d)
        igual = (na & nd) | (~na & ~nd & (a == d))
        distinto |= ~np.asarray(igual, dtype=bool)
    cambiados = set(cd[nuevo]) | set(cd.to_numpy()[i_d[distinto]])
    return cambiados, borrados


def _capa_igual(a: gpd.GeoDataFrame | None, b: gpd.GeoDataFrame | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if len(a) != len(b) or list(a.columns) != list(b.columns) or a.crs != b.crs:
        return False
    if not shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), 0.0).all():
        return False
    g = a.geometry.name
    return pd.DataFrame(a.drop(columns=g)).reset_index(drop=True).equals(
        pd.DataFrame(b.drop(columns=g)).reset_index(drop=True))


def _filas_distintas(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Filas de ``a`` y de ``b`` que no tienen igual en la misma posición de la otra capa."""
    n = min(len(a), len(b))
    igual = shapely.equals_exact(a.geometry.to_numpy()[:n], b.geometry.to_numpy()[:n], 0.0)
    for c in a.columns:
        if c == a.geometry.name or c not in b.columns:
            continue
        x, y = a[c].to_numpy(dtype=object)[:n], b[c].to_numpy(dtype=object)[:n]
        igual &= (pd.isna(x) & pd.isna(y)) | (x == y)
    ia = np.r_[np.flatnonzero(~igual), np.arange(n, len(a))].astype(np.int64)
    ib = np.r_[np.flatnonzero(~igual), np.arange(n, len(b))].astype(np.int64)
    return ia, ib


# --------------------------------------------------------------------------------------------
# Vecindad (numpy sobre envolventes + shapely.dwithin)
# --------------------------------------------------------------------------------------------


def _cerca(geoms: np.ndarray, cajas: np.ndarray, semillas: np.ndarray,
           distancia: float) -> np.ndarray:
    """Posiciones de ``geoms`` a ``distancia`` o menos de alguna de ``semillas``.

    ``cajas``: ``shapely.bounds(geoms)``, calculado una vez. Con pocas semillas se filtra por
    envolvente con numpy (sin construir un árbol de 100 000 geometrías); con muchas, STRtree.
    """
    semillas = np.asarray([g for g in semillas if g is not None and not g.is_empty], dtype=object)
    if len(semillas) == 0 or len(geoms) == 0:
        return np.empty(0, dtype=np.int64)
    if len(semillas) > 64:
        _, j = shapely.STRtree(geoms).query(semillas, predicate="dwithin", distance=distancia)
        return np.unique(j)
    sb = shapely.bounds(semillas)
    out = []
    for k in range(len(semillas)):
        x0, y0, x1, y1 = sb[k]
        c = np.flatnonzero((cajas[:, 0] <= x1 + distancia) & (cajas[:, 2] >= x0 - distancia)
                           & (cajas[:, 1] <= y1 + distancia) & (cajas[:, 3] >= y0 - distancia))
        if len(c):
            out.append(c[shapely.dwithin(geoms[c], semillas[k], distancia)])
    return np.unique(np.concatenate(out)) if out else np.empty(0, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------


def derivar_incremental(
    capas_nuevas: dict[str, gpd.GeoDataFrame],
    derivados_previos: Derivados,
    codigos_cambiados: Iterable[str],
    codigos_borrados: Iterable[str] = (),
    umbral_cerca_m: float | None = None,
    distancia: str | None = None,
    config: Config = CONFIG,
    capas_previas: dict[str, gpd.GeoDataFrame] | None = None,
) -> ResultadoIncremental:
    """Re-deriva solo lo que alcanza una edición de predios y lo empalma en lo previo.

    El resultado es igual al de ``derivar(capas_nuevas, umbral_cerca_m, distancia, config)``
    (frontis al centímetro, trozos, categorías, zonas, sectores, marcas y avisos); ver el
    docstring del módulo para el razonamiento y ``tests/test_incremental.py`` para la prueba.

    Parameters
    ----------
    capas_nuevas : capas después de la edición (CRS métrico), como para ``derivar``.
    derivados_previos : ``derivar`` (o esta función) sobre las capas antes de la edición.
    codigos_cambiados : predios modificados (geometría o atributos) o agregados. Los códigos
        nuevos que falten aquí se agregan solos; los modificados no se detectan solos (use
        :func:`detectar_cambios` si no se llevó la cuenta).
    codigos_borrados : predios quitados (los que faltan en la capa nueva se agregan solos).
    umbral_cerca_m, distancia : por defecto, los de ``derivados_previos``; si difieren, se
        deriva todo (la categoría de todos puede cambiar).
    capas_previas : capas antes de la edición, si también pudieron cambiar otras capas: si
        cambian las áreas verdes se amplía lo afectado; si cambian vías, sectores o zonas, se
        deriva todo. Sin ellas se supone que solo cambiaron predios.

    Returns
    -------
    ResultadoIncremental
    """
    inicio = time.perf_counter()
    previo = derivados_previos
    umbral = previo.umbral_cerca_m if umbral_cerca_m is None else float(umbral_cerca_m)
    distancia = previo.distancia if distancia is None else distancia
    if "predios" not in capas_nuevas:
        raise ErrorDatos("Falta la capa obligatoria 'predios' para derivar.", "CAPA_FALTANTE")
    pn = capas_nuevas["predios"]
    pp = previo.predios
    cod_n, cod_p = codigos(pn), codigos(pp)
    a_n, a_p = arrow_texto(cod_n), arrow_texto(cod_p)
    pos_p = posiciones(a_n, a_p)  # fila previa de cada predio nuevo (-1: nuevo)

    cambiados = {str(c) for c in codigos_cambiados}
    borrados = {str(c) for c in codigos_borrados}
    ausentes = sorted(np.asarray(sorted(cambiados), dtype=object)[
        posiciones(sorted(cambiados), a_n) < 0]) if cambiados else []
    if ausentes:
        raise ErrorDatos(
            f"Los predios {', '.join(ausentes[:10])} figuran como cambiados pero no están en la "
            "capa nueva de predios: si se quitaron, páselos en codigos_borrados.",
            "PREDIO_DESCONOCIDO")
    cambiados |= set(cod_n[pos_p < 0])
    if int((pos_p >= 0).sum()) != len(cod_p):  # algún código previo ya no está
        borrados |= set(cod_p[posiciones(a_p, a_n) < 0])

    def completo(motivo: str) -> ResultadoIncremental:
        d = derivar(capas_nuevas, umbral, distancia, config)
        log.info("re-derivación completa: %s", motivo)
        return ResultadoIncremental(d, frozenset(cod_n), frozenset(borrados), 0, True, motivo,
                                    time.perf_counter() - inicio)

    if umbral != previo.umbral_cerca_m or distancia != previo.distancia:
        return completo("cambió el umbral de «cerca» o el tipo de distancia")
    verdes_cambiadas = (np.empty(0, dtype=np.int64),) * 2
    if capas_previas is not None:
        otras = sorted(n for n in set(capas_nuevas) | set(capas_previas)
                       if n not in ("predios", "areas_verdes")
                       and not _capa_igual(capas_previas.get(n), capas_nuevas.get(n)))
        if otras:
            return completo(f"cambiaron las capas {', '.join(otras)}")
        va, vn = capas_previas.get("areas_verdes"), capas_nuevas.get("areas_verdes")
        if not _capa_igual(va, vn):
            if va is None or vn is None or distancia == "red":
                return completo("cambiaron las áreas verdes" + (
                    " (con distancia por la red, la de todos puede cambiar)"
                    if distancia == "red" else ""))
            verdes_cambiadas = _filas_distintas(va, vn)
    if not cambiados and not borrados and not len(verdes_cambiadas[1]) \
            and not len(verdes_cambiadas[0]):
        return ResultadoIncremental(previo, frozenset(), frozenset(), 0, False, "sin cambios",
                                    time.perf_counter() - inicio)

    tol = float(config.tolerancia_frontis_m)
    radio = tol + MARGEN_M
    clave_n = claves_huella(pn)
    clave_p = claves_huella(pp)
    # huellas de la capa nueva: posición de la primera unidad de cada una (su geometría)
    huella_n, claves_u = pd.factorize(clave_n, sort=False)
    primera = np.full(len(claves_u), -1, dtype=np.int64)
    primera[huella_n[::-1]] = np.arange(len(huella_n))[::-1]
    g_n = pn.geometry.to_numpy()
    g_p = pp.geometry.to_numpy()
    hgeoms = g_n[primera]
    cajas = shapely.bounds(hgeoms)
    claves_u = np.asarray(claves_u, dtype=object)  # en orden de aparición, como pd.unique

    # 1) huellas afectadas: las de lo cambiado (clave vieja y nueva) ...
    tocados = np.flatnonzero(esta_en(a_n, cambiados))
    prev_t = pos_p[tocados]
    ya = prev_t >= 0
    fila_borrada = np.flatnonzero(esta_en(a_p, borrados))
    claves_viejas = set(clave_p[prev_t[ya]]) | set(clave_p[fila_borrada])
    claves_af = set(clave_n[tocados]) | claves_viejas
    # ... y sus vecinas, si cambió la geometría o la huella (unidad nueva, borrada, otra matriz)
    geo_cambio = np.ones(len(tocados), dtype=bool)
    geo_cambio[ya] = ~shapely.equals_exact(g_p[prev_t[ya]], g_n[tocados[ya]], 0.0)
    geo_cambio[ya] |= clave_p[prev_t[ya]] != clave_n[tocados[ya]]
    claves_geo = (set(clave_n[tocados[geo_cambio]]) | set(clave_p[prev_t[ya & geo_cambio]])
                  | set(clave_p[fila_borrada]))
    semillas = np.concatenate([g_p[esta_en(clave_p, claves_geo)],
                               g_n[esta_en(clave_n, claves_geo)]])
    motivo = (f"{len(cambiados)} predios cambiados o nuevos, {len(borrados)} borrados")
    h_af = posiciones(sorted(claves_af), claves_u)
    h_af = h_af[h_af >= 0]
    vecinas = _cerca(hgeoms, cajas, semillas, radio)
    h_af = np.union1d(h_af, vecinas)

    if len(verdes_cambiadas[0]) or len(verdes_cambiadas[1]):
        h_v = _afectadas_por_verdes(capas_previas["areas_verdes"], capas_nuevas["areas_verdes"],
                                    verdes_cambiadas, hgeoms, cajas, claves_u, clave_p, pp,
                                    previo.frentes, capas_nuevas["vias"], radio, config)
        h_af = np.union1d(h_af, h_v)
        motivo += f"; {len(verdes_cambiadas[1])} áreas verdes cambiadas"

    # 2) contexto: las vecinas de las afectadas, para medir bien sus linderos compartidos
    h_ctx = np.setdiff1d(_cerca(hgeoms, cajas, hgeoms[h_af], radio), h_af)
    h_sub = np.union1d(h_af, h_ctx)
    if len(h_sub) > FRACCION_COMPLETA * max(len(claves_u), 1):
        return completo(motivo + f": {len(h_sub)} de {len(claves_u)} huellas alcanzadas")
    en_sub = np.zeros(len(claves_u), dtype=bool)
    en_sub[h_sub] = True
    sub_predios = pn[en_sub[huella_n]]  # conserva el orden: misma primera unidad por huella
    es_af = np.zeros(len(claves_u), dtype=bool)
    es_af[h_af] = True
    recalc = es_af[huella_n]

    # 3) derivar el subconjunto, con las capas a su alcance
    sub = dict(capas_nuevas)
    sub["predios"] = sub_predios
    vias = capas_nuevas["vias"]
    if distancia != "red" and len(vias) and len(h_af):
        semi = semiancho_vias(vias, config)
        alcance = max(alcance_calle(semi, config), float(semi.max()) + tol) + MARGEN_M
        vg = vias.geometry.to_numpy()
        cerca = _cerca(vg, shapely.bounds(vg), hgeoms[h_sub], alcance)
        filas = np.union1d(cerca, [int(np.argmax(semi))])
        sub["vias"] = vias.iloc[filas]
        verdes = capas_nuevas.get("areas_verdes")
        if verdes is not None and len(verdes):
            sub["areas_verdes"] = verdes.iloc[_verdes_utiles(
                verdes.geometry.to_numpy(), hgeoms[h_sub], sub["vias"].geometry.to_numpy(),
                radio, float(semi.max()) + radio)]
    d_sub = derivar(sub, umbral, distancia, config)

    # 4) empalmar
    derivados = _empalmar(previo, d_sub, pn, cod_n, a_n, pos_p, recalc, clave_n, clave_p,
                          claves_u, set(claves_u[h_af]) | claves_viejas, capas_nuevas)
    seg = time.perf_counter() - inicio
    log.info("re-derivación incremental: %d predios recalculados, %d de contexto, %.2f s",
             int(recalc.sum()), int((~recalc[en_sub[huella_n]]).sum()), seg)
    b = shapely.total_bounds(hgeoms[h_sub]) if len(h_sub) else None
    return ResultadoIncremental(
        derivados, frozenset(cod_n[recalc]), frozenset(borrados),
        int(en_sub[huella_n].sum() - recalc.sum()), False, motivo, seg,
        None if b is None else tuple(float(x) for x in b))


def _verdes_utiles(verdes: np.ndarray, huellas: np.ndarray, vias: np.ndarray, radio: float,
                   alcance_via: float) -> np.ndarray:
    """Filas de áreas verdes que pueden influir en lo derivado de ``huellas`` (en orden).

    Las que tapan sus linderos (a ``radio``), la más cercana de cada una (y las empatadas) y
    las que bordean alguna de las ``vias`` del subconjunto (categoría A). Conservar el orden
    de la capa conserva los desempates («la primera de la capa»).
    """
    if len(huellas) == 0:
        return np.empty(0, dtype=np.int64)
    d = shapely.distance(huellas[:, None], verdes[None, :])
    dmin = d.min(axis=1, keepdims=True)
    util = ((d <= radio) | (d <= dmin + 1e-6)).any(axis=0)
    if len(vias):
        _, j = shapely.STRtree(verdes).query(vias, predicate="dwithin", distance=alcance_via)
        util[j] = True
    return np.flatnonzero(util)


def _afectadas_por_verdes(va, vn, filas, hgeoms, cajas, claves_u, clave_p, pp, frentes_p,
                          vias, radio, config) -> np.ndarray:
    """Huellas cuya derivación puede cambiar al cambiar las áreas verdes (distancia euclídea)."""
    ia, ib = filas
    viejas = va.geometry.to_numpy()[ia]
    nuevas = vn.geometry.to_numpy()[ib]
    todas = np.concatenate([viejas, nuevas])
    # linderos: lo que tapa un área verde no es frontis
    h = [_cerca(hgeoms, cajas, todas, radio)]
    # más cercana: la que era una de las cambiadas, o una nueva más cerca que la previa
    nombres = set(va["nombre"].astype(str).to_numpy()[ia]) if "nombre" in va.columns else set()
    pos_h = pd.Index(claves_u)
    if "area_verde_cercana" in pp.columns:
        era = esta_en(pp["area_verde_cercana"].astype(str), nombres)
        h.append(pos_h.get_indexer(np.unique(clave_p[era])))
        d_prev = pd.to_numeric(pp["distancia_area_verde_m"], errors="coerce").to_numpy()
        d_h = pd.Series(d_prev).groupby(clave_p).min()
        d_h = d_h.reindex(claves_u).to_numpy()
    else:
        d_h = np.full(len(claves_u), np.nan)
    for g in nuevas:
        d = shapely.distance(hgeoms, g)
        h.append(np.flatnonzero(~(d > d_h + 0.01)))  # NaN (sin previa) también
    # categoría A: frontis sobre una cuadra que bordea un área verde cambiada
    semi = semiancho_vias(vias, config)
    vg = vias.geometry.to_numpy()
    filas_v = _cerca(vg, shapely.bounds(vg), todas, float(semi.max()) + radio)
    if len(filas_v) and len(frentes_p):
        cuadra = (pd.to_numeric(vias["cuadra"], errors="coerce").to_numpy()
                  if "cuadra" in vias.columns else np.full(len(vias), np.nan))
        pares = set(zip(vias["nombre"].astype(str).to_numpy()[filas_v], cuadra[filas_v]))
        fc = pd.to_numeric(frentes_p["cuadra"], errors="coerce").to_numpy(dtype=float)
        fv = frentes_p["via"].astype(str).to_numpy()
        sel = np.fromiter(((v, c) in pares or (v, np.nan) in pares for v, c in zip(fv, fc)),
                          dtype=bool, count=len(fv))
        con_frente = codigos(frentes_p)[sel]
        pos = pd.Index(codigos(pp), dtype=object).get_indexer(con_frente)
        h.append(pos_h.get_indexer(np.unique(clave_p[pos[pos >= 0]])))
    out = np.concatenate(h).astype(np.int64)
    return np.unique(out[out >= 0])


def _empalmar(previo: Derivados, sub: Derivados, pn: gpd.GeoDataFrame, cod_n: np.ndarray,
              a_n, pos_p: np.ndarray, recalc: np.ndarray, clave_n: np.ndarray,
              clave_p: np.ndarray, claves_u: np.ndarray, claves_fuera: set,
              capas_nuevas) -> Derivados:
    """Lo previo para lo no afectado y lo del subconjunto para lo afectado."""
    pp, ps = previo.predios, sub.predios
    filas = np.flatnonzero(recalc)
    pos_s = posiciones(cod_n[filas], codigos(ps))
    toma = np.maximum(pos_p, 0)
    out = pn.copy(deep=False)  # copia al escribir (pandas ≥ 3): pn no se toca
    for col in [c for c in ps.columns if c not in pn.columns or c in COLUMNAS_DERIVADAS]:
        out[col] = _columna(pp[col], ps[col], toma, filas, pos_s, pn.index)
    if list(out.columns) != list(ps.columns):
        out = out[list(ps.columns)]

    # trozos de frontis: los previos de lo no recalculado + los nuevos, en el orden de los predios
    fp, fs = previo.frentes, sub.frentes
    en_n = posiciones(fp["codigo"], a_n)
    mantener = en_n >= 0
    mantener[mantener] = ~recalc[en_n[mantener]]
    en_s = posiciones(fs["codigo"], a_n)
    nuevos = en_s >= 0
    nuevos[nuevos] = recalc[en_s[nuevos]]
    partes = [x for x in (fp[mantener], fs[nuevos]) if len(x)]
    fr = pd.concat(partes, ignore_index=True) if partes else fs.iloc[:0]
    orden = np.argsort(np.concatenate([en_n[mantener], en_s[nuevos]]), kind="stable")
    frentes = gpd.GeoDataFrame(fr.iloc[orden].reset_index(drop=True), geometry="geometry",
                               crs=fp.crs if fp.crs is not None else fs.crs)

    avisos = _empalmar_avisos(previo, sub, claves_u, clave_p, set(clave_n[filas]), claves_fuera,
                              capas_nuevas)
    return Derivados(out, frentes, previo.microrutas, avisos, previo.umbral_cerca_m,
                     previo.distancia, previo.n_vias, previo.vias_sin_ancho)


def _columna(previa: pd.Series, nueva: pd.Series, toma: np.ndarray, filas: np.ndarray,
             pos_s: np.ndarray, indice: pd.Index) -> pd.Series:
    """Columna derivada empalmada, con el tipo que le daría ``derivar``.

    ``derivar`` asigna arreglos y deja que pandas infiera el tipo: texto con vacíos → ``str``,
    todo vacío → ``object``; ``barrio`` queda explícitamente en ``object``. Se reproduce eso
    sin pasar 100 000 textos por Python cuando no hace falta (``take`` de Arrow).
    """
    valores = nueva.to_numpy(dtype=object)[pos_s]
    if pd.api.types.is_string_dtype(previa) and previa.dtype != object:
        s = previa.take(toma)
        s.index = indice
        if len(filas):
            s.iloc[filas] = valores
        return s if s.notna().any() else pd.Series(None, index=indice, dtype=object)
    base = previa.to_numpy()
    vals = base[toma] if len(base) else np.empty(len(toma), dtype=base.dtype)
    nuevos = nueva.to_numpy()[pos_s]
    if vals.dtype != nuevos.dtype:
        vals = vals.astype(object) if object in (vals.dtype, nuevos.dtype) \
            else vals.astype(np.result_type(vals.dtype, nuevos.dtype))
    vals[filas] = nuevos
    # una columna que derivar deja explícitamente en object (barrio) sigue en object
    explicito = previa.dtype == object and previa.notna().any()
    return pd.Series(vals, index=indice, dtype=object if explicito else None)


def _miembros_resumen(codigo: str, predios: pd.DataFrame, frentes: pd.DataFrame,
                      avisos: list[Problema], claves: np.ndarray, hay_zonas: bool) -> set[str]:
    """Claves de huella que cuenta el aviso de resumen ``codigo`` (elemento vacío).

    Se reconstruye de lo derivado: terreno abierto = marca ``frontis_sin_via`` sin aviso
    ``FRONTIS_SIN_VIA``; frente fuera de sector y de su área = algún trozo sin sector y sin
    aviso ``FRENTE_SIN_SECTOR`` por predio; sin zona fuera del área = sin zona de recolección
    y sin aviso ``PREDIO_SIN_ZONA`` por predio.
    """
    if codigo == "PREDIO_SIN_FRONTIS":
        flags = predios["flags"].to_numpy(dtype=object)
        m = np.fromiter((isinstance(f, str) and "frontis_sin_via" in f for f in flags),
                        dtype=bool, count=len(flags))
        excluir = {a.elemento for a in avisos if a.codigo == "FRONTIS_SIN_VIA"}
    elif codigo == "FRENTE_SIN_SECTOR":
        sin = codigos(frentes)[frentes["sector_barrido"].isna().to_numpy()]
        m = esta_en(codigos(predios), set(sin))
        excluir = {a.elemento for a in avisos if a.codigo == codigo and a.elemento}
    else:
        if not hay_zonas:
            return set()
        m = predios["zona_recoleccion"].isna().to_numpy()
        excluir = {a.elemento for a in avisos if a.codigo == codigo and a.elemento}
    return set(claves[m]) - excluir


def _empalmar_avisos(previo: Derivados, sub: Derivados, claves_u, clave_p, claves_rec,
                     claves_fuera, capas_nuevas) -> list[Problema]:
    """Avisos por huella: los previos de lo no recalculado y los nuevos de lo recalculado;
    los de resumen se rehacen con la cuenta y los ejemplos del distrito entero.

    La cuenta de un resumen es la previa − las huellas quitadas que contaba + las
    recalculadas que cuenta; los ejemplos (las primeras huellas en orden) se sacan de los
    ejemplos previos y las recalculadas. Solo si se quitó una de las de ejemplo (o cambió el
    orden de los predios) se recorre el distrito para saber cuál sigue.
    """
    quitar = claves_rec | claves_fuera
    avisos = [a for a in previo.avisos if a.elemento and a.elemento not in quitar]
    avisos += [a for a in sub.avisos if a.elemento and a.elemento in claves_rec]
    hay_zonas = capas_nuevas.get("zonas_recoleccion") is not None
    clave_s = claves_huella(sub.predios)
    lista_quitar = np.asarray(sorted(quitar), dtype=object)
    en_quitar = esta_en(clave_p, quitar)
    locales = previo.predios[en_quitar]
    fr_locales = previo.frentes[esta_en(previo.frentes["codigo"], set(codigos(locales)))] \
        if len(locales) else previo.frentes.iloc[:0]
    for codigo in RESUMENES:
        viejo = [a for a in previo.avisos if a.codigo == codigo and not a.elemento]
        textos = [a.mensaje for a in viejo + sub.avisos if a.codigo == codigo and not a.elemento]
        if not textos:
            continue
        nuevos = _miembros_resumen(codigo, sub.predios, sub.frentes, sub.avisos, clave_s,
                                   hay_zonas) & claves_rec
        cuenta, ejemplos = (_leer_resumen(viejo[0].mensaje) if viejo else (0, []))
        quitados = _miembros_resumen(codigo, locales, fr_locales, previo.avisos,
                                     clave_p[en_quitar], hay_zonas) & set(lista_quitar)
        total = cuenta - len(quitados) + len(nuevos)
        if total <= 0:
            continue
        restantes = [e for e in ejemplos if e not in quitar]
        if len(restantes) == len(ejemplos) and (len(ejemplos) == cuenta or len(ejemplos) >= 5):
            cand = np.asarray(restantes + sorted(nuevos), dtype=object)
            cand = cand[np.argsort(posiciones(cand, claves_u), kind="stable")]
            claves = cand[:5]
        else:  # se quitó un ejemplo: hay que saber cuál sigue
            miembros = (_miembros_resumen(codigo, previo.predios, previo.frentes, previo.avisos,
                                          clave_p, hay_zonas) - quitar) | nuevos
            claves = claves_u[esta_en(claves_u, miembros)]
            total = len(claves)
        texto = textos[0].split(" ", 1)[1].rsplit(" Ejemplos: ", 1)[0]
        avisos.append(resumen_fuera(codigo, np.asarray(claves, dtype=object), texto, total))
    avisos.sort(key=lambda a: (a.codigo, a.elemento))
    return avisos


def _leer_resumen(mensaje: str) -> tuple[int, list[str]]:
    """Cuenta y ejemplos de un aviso de :func:`geo.frontis.resumen_fuera`."""
    cuenta = int(mensaje.split(" ", 1)[0])
    ej = mensaje.rsplit(" Ejemplos: ", 1)[1].rstrip(".")
    ej = ej[:-3].rstrip(", ") if ej.endswith("…") else ej
    return cuenta, [e for e in ej.split(", ") if e]


# --------------------------------------------------------------------------------------------
# Cambio de arbitrios
# --------------------------------------------------------------------------------------------

SERVICIOS_CAMBIO = ("barrido", "recoleccion", "parques", "serenazgo", "total")


def cambios_de_arbitrio(resultado_antes, resultado_despues,
                        servicios: Iterable[str] = SERVICIOS_CAMBIO) -> pd.DataFrame:
    """Cambio del arbitrio mensual (a cobrar) de cada predio, por servicio.

    Compara **todos** los predios (una tasa es costo / Σ criterio: editar un predio mueve la de
    todos los de su grupo) y devuelve solo los que cambian. Un predio nuevo tiene ``antes`` = 0
    y uno borrado ``despues`` = 0 (``estado`` lo dice).

    Parameters
    ----------
    resultado_antes, resultado_despues : :class:`geo.tarifas.ResultadoTarifas`.
    servicios : servicios a comparar (``<servicio>_mensual``); ``total`` = ``total_mensual``.

    Returns
    -------
    DataFrame con ``codigo``, ``servicio``, ``antes``, ``despues``, ``diferencia`` (S/ al
    mes, Decimal) y ``estado`` (``cambia``, ``nuevo``, ``borrado``), ordenado por
    |diferencia| descendente, código y servicio.
    """
    a = resultado_antes.predios.set_index("codigo")
    d = resultado_despues.predios.set_index("codigo")
    codigos = a.index.union(d.index)
    en_a, en_d = esta_en(codigos, a.index), esta_en(codigos, d.index)
    estado = np.where(en_a & en_d, "cambia", np.where(en_a, "borrado", "nuevo"))
    partes = []
    for s in servicios:
        col = "total_mensual" if s == "total" else f"{s}_mensual"
        x = a[col].reindex(codigos).to_numpy(dtype=object)
        y = d[col].reindex(codigos).to_numpy(dtype=object)
        x = np.where(en_a, x, Decimal(0))
        y = np.where(en_d, y, Decimal(0))
        dif = y - x
        m = dif != 0
        partes.append(pd.DataFrame({"codigo": codigos[m], "servicio": s, "antes": x[m],
                                    "despues": y[m], "diferencia": dif[m], "estado": estado[m]}))
    t = pd.concat(partes, ignore_index=True) if partes else pd.DataFrame(
        columns=["codigo", "servicio", "antes", "despues", "diferencia", "estado"])
    orden_s = {s: i for i, s in enumerate(servicios)}
    t["_abs"] = [abs(x) for x in t["diferencia"]]
    t["_s"] = t["servicio"].map(orden_s)
    t = t.sort_values(["_abs", "codigo", "_s"], ascending=[False, True, True], kind="stable")
    return t.drop(columns=["_abs", "_s"]).reset_index(drop=True)


fee_changes = cambios_de_arbitrio
"""Alias en inglés (así lo nombra el pedido, issue 6)."""

"""Re-derivación incremental: igual a ``derivar`` completo tras secuencias de ediciones al azar.

Las ediciones (con semilla) son las de un catastrador: cambiar atributos, mover el lindero
entre dos vecinos, dividir un lote en dos, fusionar dos lotes vecinos, borrar un lote, agregar
un lote en un hueco junto a una vía y sacar una unidad de una propiedad horizontal. Tras cada
paso se compara TODO el distrito con una corrida completa: predios (frontis al centímetro,
categorías, zonas, sectores, marcas), trozos de frontis, avisos y, en algunos pasos, las
tarifas de todos los predios.
"""

from __future__ import annotations

import shutil
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import RAIZ, capas_minimas
from shapely.geometry import box

from geo.derivaciones import derivar
from geo.incremental import cambios_de_arbitrio, derivar_incremental, detectar_cambios
from geo.ordenanza import cargar_ordenanza
from geo.tarifas import calcular_tarifas

PASOS = 9
OPERACIONES = ("atributos", "lindero", "dividir", "fusionar", "borrar", "agregar", "ph")


# ------------------------------------------------------------------ distrito de prueba


@pytest.fixture(scope="module")
def distrito(tmp_path_factory):
    """El distrito de ejemplo recortado: ~550 predios del centro + 200 rurales (estos dan los
    avisos de resumen: frente fuera de sector, sin zona, terreno abierto)."""
    from geo.flujo import cargar_capas

    ruta = tmp_path_factory.mktemp("inc") / "oxapampa.gpkg"
    shutil.copy(RAIZ / "capas" / "oxapampa.gpkg", ruta)
    capas = cargar_capas(ruta)
    p = capas["predios"]
    c = p.geometry.centroid
    cx, cy = c.x.median(), c.y.median()
    centro = p.intersects(box(cx - 250, cy - 250, cx + 250, cy + 250)).to_numpy()
    rural = p["codigo"].astype(str).str.contains("-R", regex=False).to_numpy()
    rural = rural & (np.cumsum(rural) <= 200)
    capas["predios"] = p[centro | rural].reset_index(drop=True)
    return capas


def iguales(a, b) -> None:
    """El incremental ``a`` es la corrida completa ``b``, columna por columna."""
    pa = pd.DataFrame(a.predios.drop(columns="geometry"))
    pb = pd.DataFrame(b.predios.drop(columns="geometry"))
    pd.testing.assert_frame_equal(pa, pb)
    assert shapely.equals_exact(a.predios.geometry.to_numpy(), b.predios.geometry.to_numpy(),
                                0.0).all()
    fa = pd.DataFrame(a.frentes.drop(columns="geometry"))
    fb = pd.DataFrame(b.frentes.drop(columns="geometry"))
    pd.testing.assert_frame_equal(fa, fb)
    assert shapely.equals_exact(a.frentes.geometry.to_numpy(), b.frentes.geometry.to_numpy(),
                                1e-6).all()
    assert a.avisos == b.avisos
    pd.testing.assert_frame_equal(pd.DataFrame(a.microrutas), pd.DataFrame(b.microrutas))


# ------------------------------------------------------------------ ediciones al azar


def _par_vecino(p, rng):
    g = p.geometry.to_numpy()
    arbol = shapely.STRtree(g)
    for _ in range(100):
        i = int(rng.integers(len(p)))
        _, js = arbol.query(g[i:i + 1], predicate="intersects")
        for j in rng.permutation(js):
            comun = shapely.intersection(g[i], g[j])
            if j != i and shapely.length(comun) > 3 and shapely.area(comun) < 0.1:
                return i, int(j)
    return None


def editar(capas, rng, nuevo: str, op: str):
    """La edición ``op``, al azar: ``(capas_nuevas, cambiados, borrados, descripción)``."""
    p = capas["predios"].copy()
    cod = p["codigo"].astype(str).to_numpy()
    geo = p.columns.get_loc(p.geometry.name)
    g = p.geometry.to_numpy()
    if op == "atributos":
        i = int(rng.integers(len(p)))
        p.iloc[i, p.columns.get_loc("area_construida_m2")] = float(rng.uniform(0, 500))
        p.iloc[i, p.columns.get_loc("frontis_declarado_m")] = float(rng.uniform(5, 30))
        return dict(capas, predios=p), {cod[i]}, set(), op
    if op == "ph":
        con = np.flatnonzero(p["predio_matriz"].notna().to_numpy())
        i = int(rng.choice(con))
        p.iloc[i, p.columns.get_loc("predio_matriz")] = None  # la unidad sale de la PH
        return dict(capas, predios=p), {cod[i]}, set(), op
    if op in ("lindero", "fusionar"):
        i, j = _par_vecino(p, rng)
        if op == "fusionar":
            p.iloc[i, geo] = shapely.union(g[i], g[j])
            return dict(capas, predios=p.drop(index=p.index[j])), {cod[i]}, {cod[j]}, op
        franja = shapely.buffer(shapely.intersection(g[i], g[j]), float(rng.uniform(1, 4)),
                                cap_style="flat")
        p.iloc[i, geo] = shapely.union(g[i], shapely.intersection(g[j], franja))
        p.iloc[j, geo] = shapely.difference(g[j], franja)
        return dict(capas, predios=p), {cod[i], cod[j]}, set(), op
    if op == "dividir":
        i = int(rng.integers(len(p)))
        x0, y0, x1, y1 = g[i].bounds
        mitad = box(x0 - 1, y0 - 1, x0 + (x1 - x0) * float(rng.uniform(0.3, 0.7)), y1 + 1)
        otra = p.iloc[[i]].copy()
        otra["codigo"] = nuevo
        otra = otra.set_geometry([shapely.difference(g[i], mitad)], crs=p.crs)
        p.iloc[i, geo] = shapely.intersection(g[i], mitad)
        return dict(capas, predios=pd.concat([p, otra], ignore_index=True)), \
            {cod[i], nuevo}, set(), op
    if op == "borrar":
        i = int(rng.integers(len(p)))
        return dict(capas, predios=p.drop(index=p.index[i])), set(), {cod[i]}, op
    # agregar: un lote de 10 × 15 m junto al punto medio de una cuadra, si hay hueco
    v = capas["vias"]
    arbol = shapely.STRtree(g)
    for _ in range(300):
        k = int(rng.integers(len(v)))
        a, b = (shapely.line_interpolate_point(v.geometry.iloc[k], t, normalized=True)
                for t in (0.49, 0.5))
        dx, dy = b.x - a.x, b.y - a.y
        largo = np.hypot(dx, dy)
        if not np.isfinite(largo) or largo == 0:
            continue
        semi = float(v["ancho_m"].iloc[k]) / 2 if np.isfinite(v["ancho_m"].iloc[k]) else 5.0
        lado = float(rng.choice([-1, 1]))
        cx, cy = b.x - lado * dy / largo * (semi + 8), b.y + lado * dx / largo * (semi + 8)
        lote = shapely.affinity.rotate(box(cx - 5, cy - 7.5, cx + 5, cy + 7.5),
                                       np.degrees(np.arctan2(dy, dx)), origin=(cx, cy))
        if len(arbol.query(lote, predicate="intersects")) == 0:
            otra = p.iloc[[0]].copy()
            otra["codigo"] = nuevo
            otra["predio_matriz"] = None
            otra["participacion"] = None
            otra = otra.set_geometry([lote], crs=p.crs)
            return dict(capas, predios=pd.concat([p, otra], ignore_index=True)), \
                {nuevo}, set(), op
    raise AssertionError("no se encontró hueco para un lote nuevo")


# ------------------------------------------------------------------ pruebas


def test_secuencia_al_azar_igual_a_completo(distrito):
    ordenanza = cargar_ordenanza()
    rng = np.random.default_rng(20240606)
    capas = distrito
    previo = derivar(capas)
    assert any(not a.elemento for a in previo.avisos)  # hay avisos de resumen que rehacer
    # cada operación al menos una vez, en orden al azar, y luego más al azar
    ops = list(rng.permutation(OPERACIONES)) + list(rng.choice(OPERACIONES, PASOS))
    for paso, op in enumerate(ops[:PASOS]):
        nuevas, cambiados, borrados, op = editar(capas, rng, f"190301-99-999-{paso:03d}", op)
        detectados = detectar_cambios(capas["predios"], nuevas["predios"])
        assert detectados == (cambiados, borrados), op
        r = derivar_incremental(nuevas, previo, cambiados, borrados)
        completo = derivar(nuevas)
        assert not r.completo
        assert cambiados <= r.recalculados
        assert len(r.recalculados) + r.contexto < len(nuevas["predios"]) / 10
        iguales(r.derivados, completo)
        if paso == PASOS - 1:  # las tarifas de todos, desde los criterios derivados
            ta = calcular_tarifas(r.derivados.predios, r.derivados.frentes, ordenanza)
            tb = calcular_tarifas(completo.predios, completo.frentes, ordenanza)
            pd.testing.assert_frame_equal(ta.predios, tb.predios)
            assert cambios_de_arbitrio(ta, tb).empty
        capas, previo = nuevas, r.derivados


def test_avisos_de_resumen_de_uno_y_de_dos_predios(distrito):
    """Un aviso de resumen concuerda en número: «1 predio queda…», «2 predios quedan…»;
    también cuando el incremental lo rehace desde el aviso anterior, al agregar el segundo
    predio rural y al volver a quitarlo."""
    p = distrito["predios"]
    rural = np.flatnonzero(p["codigo"].astype(str).str.contains("-R", regex=False).to_numpy())
    uno = dict(distrito, predios=p.drop(index=p.index[rural[1:]]).reset_index(drop=True))
    dos = dict(distrito, predios=p.drop(index=p.index[rural[2:]]).reset_index(drop=True))
    segundo = str(p["codigo"].iloc[rural[1]])

    def resumenes(d):
        return {a.codigo: a.mensaje for a in d.avisos if not a.elemento}

    d1, d2 = derivar(uno), derivar(dos)
    assert set(resumenes(d1)) >= {"PREDIO_SIN_ZONA", "FRENTE_SIN_SECTOR"}
    assert resumenes(d1)["PREDIO_SIN_ZONA"].startswith("1 predio queda fuera de las zonas")
    assert resumenes(d1)["FRENTE_SIN_SECTOR"].startswith("1 predio tiene frontis fuera")
    assert set(resumenes(d2)) == set(resumenes(d1))
    assert resumenes(d2)["PREDIO_SIN_ZONA"].startswith("2 predios quedan fuera de las zonas")
    assert resumenes(d2)["FRENTE_SIN_SECTOR"].startswith("2 predios tienen frontis fuera")
    r = derivar_incremental(dos, d1, {segundo})
    assert not r.completo
    iguales(r.derivados, d2)
    r = derivar_incremental(uno, d2, set(), {segundo})
    assert not r.completo
    iguales(r.derivados, d1)


def test_mover_un_area_verde(distrito):
    """Un área verde que se corre 30 m: cambian categorías, distancias y linderos tapados."""
    capas = distrito
    previo = derivar(capas)
    v = capas["areas_verdes"].copy()
    v.loc[v.index[2], "geometry"] = shapely.affinity.translate(v.geometry.iloc[2], 30, 0)
    nuevas = dict(capas, areas_verdes=v)
    r = derivar_incremental(nuevas, previo, set(), capas_previas=capas)
    completo = derivar(nuevas)
    assert not r.completo and len(r.recalculados) > 0
    iguales(r.derivados, completo)


def test_cambio_de_umbral_o_de_capas_deriva_todo(distrito):
    capas = distrito
    previo = derivar(capas)
    r = derivar_incremental(capas, previo, set(), umbral_cerca_m=50.0)
    assert r.completo and "umbral" in r.motivo
    s = capas["sectores_barrido"].copy()
    s.loc[s.index[0], "frecuencia_semanal"] = 3
    r = derivar_incremental(dict(capas, sectores_barrido=s), previo, set(), capas_previas=capas)
    assert r.completo and "sectores_barrido" in r.motivo


def test_sin_cambios_devuelve_lo_previo(distrito):
    previo = derivar(distrito)
    r = derivar_incremental(distrito, previo, set())
    assert r.derivados is previo and not r.recalculados


def test_codigo_cambiado_inexistente(distrito):
    from geo.errores import ErrorDatos

    previo = derivar(distrito)
    with pytest.raises(ErrorDatos, match="NO-EXISTE.*codigos_borrados"):
        derivar_incremental(distrito, previo, {"NO-EXISTE"})


def test_cambios_de_arbitrio_a_mano():
    """Más área construida en un predio de la zona A: su recolección sube y la de los demás
    predios de la zona y uso baja (la tasa por m² es costo / Σ m²); se listan todos."""
    ordenanza = cargar_ordenanza()
    capas = capas_minimas()
    d0 = derivar(capas)
    p = capas["predios"].copy()
    p.loc[0, "area_construida_m2"] = 240.0  # 120 → 240 m², uso 1
    d1 = derivar_incremental(dict(capas, predios=p), d0, {p.loc[0, "codigo"]}).derivados
    r0 = calcular_tarifas(d0.predios, d0.frentes, ordenanza)
    r1 = calcular_tarifas(d1.predios, d1.frentes, ordenanza)
    t = cambios_de_arbitrio(r0, r1)
    rec = t[t.servicio == "recoleccion"].set_index("codigo")
    # los dos predios de uso 1 (001 y 003) cambian; el 003 está exonerado al 50 %
    assert set(rec.index) == {"190301-01-001-001", "190301-01-001-003"}
    assert rec.loc["190301-01-001-001", "diferencia"] > 0
    assert rec.loc["190301-01-001-003", "diferencia"] < 0
    for _, f in t.iterrows():
        assert f["despues"] - f["antes"] == f["diferencia"] and isinstance(f["antes"], Decimal)
    assert list(t["diferencia"].map(abs)) == sorted(t["diferencia"].map(abs), reverse=True)
    total = t[t.servicio == "total"].set_index("codigo")["diferencia"]
    suma = t[t.servicio != "total"].groupby("codigo")["diferencia"].sum()
    assert (total.reindex(suma.index) == suma).all()

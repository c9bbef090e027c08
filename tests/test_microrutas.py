"""Micro-rutas de barrido (Cuadros 01–05)."""

from __future__ import annotations

import geometrias as G
from geo.microrutas import microrutas, totales_por_sector


def test_microrutas_por_sector_via_y_cuadra():
    # Sectores separados por y = x. Jr. Sur (y = -5, x -5…45): sector 1, 50 m.
    # Jr. Oeste (x = -5, y -5…35): sector 2, 40 m. Jr. Norte (y = 35, x -5…45): x < 35 en el
    # sector 2 (40 m) y x > 35 en el 1 (10 m). Jr. Este (x = 45, y -5…35): sector 1, 40 m.
    _, v = G.manzana_basica()
    r = microrutas(v, G.sectores_diagonal())
    got = {(s, via): lg for s, via, lg in zip(r.sector, r.via, r.longitud_ml)}
    assert got == {
        ("1", "Jr. Sur"): 50.0, ("1", "Jr. Norte"): 10.0, ("1", "Jr. Este"): 40.0,
        ("2", "Jr. Oeste"): 40.0, ("2", "Jr. Norte"): 40.0,
    }
    sur = r[r.via == "Jr. Sur"].iloc[0]
    assert (sur.frecuencia_semanal, sur.ml_semanal, sur.cuadra) == (7, 350.0, 1)


def test_totales_por_sector():
    _, v = G.manzana_basica()
    t = totales_por_sector(microrutas(v, G.sectores_diagonal())).set_index("sector")
    assert t.loc["1", "longitud_ml"] == 100.0 and t.loc["1", "ml_semanal"] == 700.0
    assert t.loc["2", "longitud_ml"] == 80.0 and t.loc["2", "ml_semanal"] == 240.0
    assert t.loc["1", "cuadras"] == 3


def test_sin_cruce_vacio():
    _, v = G.manzana_basica()
    s = G.sectores_diagonal()
    lejos = s.set_geometry(s.translate(10_000, 10_000))
    r = microrutas(v, lejos)
    assert len(r) == 0


def test_sector_multiparte_suma_sus_partes():
    # Sector «1» en dos partes (x 0–10 y x 30–50) y sector «2» entre ellas; el Jr. Largo
    # (y = 5, x -5…60) deja 10 + 20 = 30 m en el 1 y 20 m en el 2. El Jr. Corto (x 40, y 1…9)
    # está contenido en una parte del 1: 8 m.
    from shapely.geometry import MultiPolygon, box

    sectores = G.capa([MultiPolygon([box(0, 0, 10, 10), box(30, 0, 50, 10)]),
                       box(10, 0, 30, 10)], sector=["1", "2"], frecuencia_semanal=[7, 3])
    v = G.vias([("Jr. Largo", 1, [(-5, 5), (60, 5)]), ("Jr. Corto", 1, [(40, 1), (40, 9)])])
    r = microrutas(v, sectores)
    got = {(s, via): lg for s, via, lg in zip(r.sector, r.via, r.longitud_ml)}
    assert got == {("1", "Jr. Largo"): 30.0, ("1", "Jr. Corto"): 8.0, ("2", "Jr. Largo"): 20.0}
    corto = r[r.via == "Jr. Corto"].geometry.iloc[0]
    assert corto.length == 8.0

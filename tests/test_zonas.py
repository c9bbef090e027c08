"""Asignación de zonas: exactamente una por predio, también sobre un límite."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

import geometrias as G
from geo.zonas import PrediosEnZonas, asignar_por_area, asignar_zonas, sector_de_tramos


def zonas_ab():
    """Zona A: x < 15; zona B: x ≥ 15 (local)."""
    return G.capa([box(-100, -100, 15, 100), box(15, -100, 100, 100)], zona=["A", "B"])


def geoms(*cajas):
    return G.capa(list(cajas)).geometry.to_numpy()


def test_predio_dentro_de_una_zona():
    r = asignar_por_area(geoms(box(0, 0, 10, 10), box(20, 0, 30, 10)), zonas_ab())
    assert r["pos"].tolist() == [0, 1]
    assert r["fraccion"].tolist() == [1.0, 1.0]
    assert not r["dividido"].any()


def test_predio_con_lado_sobre_el_limite_una_sola_zona():
    # Trampa (e): lado x = 15 sobre el límite: 'intersects' lo pondría en A y en B.
    r = asignar_por_area(geoms(box(15, 0, 25, 10), box(5, 0, 15, 10)), zonas_ab())
    assert r["pos"].tolist() == [1, 0]
    assert not r["dividido"].any()


def test_predio_partido_por_la_mitad_una_sola_zona_y_marcado():
    # Centro del predio exactamente sobre el límite (50 % / 50 %): 'within' no lo pone en
    # ninguna. Empate → la primera zona de la capa, y se marca dividido.
    r = asignar_por_area(geoms(box(10, 0, 20, 10)), zonas_ab())
    assert r["pos"].tolist() == [0]
    assert r["fraccion_segunda"].tolist() == [pytest.approx(0.5)]
    assert r["dividido"].tolist() == [True]


def test_umbral_de_division_10_por_ciento():
    # 5 % en B: no dividido; 20 % en B: dividido; ambos van a A (mayor área).
    r = asignar_por_area(geoms(box(5.5, 0, 15.5, 10), box(7, 0, 17, 10)), zonas_ab())
    assert r["pos"].tolist() == [0, 0]
    assert r["fraccion_segunda"].round(3).tolist() == [0.05, 0.2]
    assert r["dividido"].tolist() == [False, True]


def test_predio_fuera_de_toda_zona():
    r = asignar_por_area(geoms(box(500, 500, 510, 510)), zonas_ab())
    assert r["pos"].tolist() == [-1]


def test_zonas_superpuestas_gana_la_de_mayor_area():
    z = G.capa([box(0, 0, 100, 100), box(0, 0, 12, 100)], zona=["grande", "chica"])
    r = asignar_por_area(geoms(box(5, 0, 15, 10)), z)  # contenida en las dos
    assert r["pos"].tolist() == [0]


def test_asignar_zonas_columnas_marcas_y_barrio_declarado():
    g = geoms(box(0, 0, 10, 10), box(10, 0, 20, 10), box(500, 0, 510, 10))
    capas = {
        "zonas_recoleccion": zonas_ab(),
        "zonas_serenazgo": G.capa([box(-100, -100, 100, 100)], zona=["Centro"]),
        "barrios": G.capa([box(-100, -100, 12, 100)], barrio=["San Juan"]),
    }
    t = asignar_zonas(g, capas, barrio_declarado=pd.Series(["x", "y", "Declarado"]))
    assert t["zona_recoleccion"].tolist() == ["A", "A", None]
    assert t["zona_serenazgo"].tolist() == ["Centro", "Centro", None]
    assert t["sector_recoleccion"].tolist() == [None, None, None]  # capa ausente
    # el segundo predio tiene solo 20 % en San Juan y el resto fuera de todo barrio: San Juan
    # es su única zona de barrio (no está dividido entre dos barrios)
    assert t["barrio"].tolist() == ["San Juan", "San Juan", "Declarado"]
    assert t["flags"].tolist()[1] == "zona_recoleccion_dividida"
    assert t["flags"].tolist()[0] == ""


def test_sector_de_tramo_con_punto_medio_en_el_limite():
    # (14, 5)–(16, 5): punto medio sobre el límite, 1 m en cada zona → empate → la primera.
    # (13, 5)–(16, 5): punto medio (14,5; 5) dentro de A. (15, -1)–(15, 11): todo el tramo va
    # por el límite → un solo sector (el primero). Fuera de todo sector: -1.
    lineas = G.capa([LineString([(14, 5), (16, 5)]), LineString([(13, 5), (16, 5)]),
                     LineString([(15, -1), (15, 11)]), LineString([(500, 0), (501, 0)])]
                    ).geometry.to_numpy()
    s = sector_de_tramos(lineas, zonas_ab())
    assert s.tolist() == [0, 0, 0, -1]
    assert np.all(s < 2)


def test_zona_multiparte_igual_que_intersectar_la_zona_entera():
    # Segunda forma: áreas de intersección con la MultiPolygon entera (lo de antes).
    import shapely
    from shapely.geometry import MultiPolygon

    z = G.capa([MultiPolygon([box(0, 0, 15, 100), box(200, 0, 300, 100)]),
                box(15, 0, 200, 100)], zona=["A", "B"])
    rng = np.random.default_rng(2)
    xy = rng.uniform(-20, 320, (500, 2))
    g = shapely.box(xy[:, 0], xy[:, 1] % 90, xy[:, 0] + 12, xy[:, 1] % 90 + 10)
    r = asignar_por_area(g, z)
    zg = z.geometry.to_numpy()
    area = np.stack([shapely.area(shapely.intersection(g, zg[k])) for k in range(2)], axis=1)
    frac = area / shapely.area(g)[:, None]
    esperado = np.where(frac.max(axis=1) > 0, np.argmax(frac, axis=1), -1)
    assert r["pos"].tolist() == esperado.tolist()
    assert np.allclose(r["fraccion"], frac.max(axis=1), rtol=0, atol=1e-12)
    assert np.allclose(r["fraccion_segunda"], frac.min(axis=1), rtol=0, atol=1e-12)


def test_predios_en_zonas_compartidos_entre_capas_y_zona_urbana(monkeypatch):
    # derivar prepara los predios una vez (árbol y primeros vértices) para las zonas y para la
    # zona urbana; da lo mismo que preparar cada vez, y no se arma otro árbol.
    import shapely

    import geo.zonas as Z
    from geo.proximidad import en_zona_urbana

    g = geoms(box(0, 0, 10, 10), box(95, 0, 105, 10), box(500, 0, 510, 10))
    capas = {"zonas_recoleccion": zonas_ab()}
    urbana = G.capa([box(-10, -10, 102, 50)], nombre=["Casco urbano"])
    arbol = shapely.STRtree(g)
    compartidos = PrediosEnZonas(g, arbol)
    real, de_predios = shapely.STRtree, []

    def espia(geometrias, *a, **k):  # los árboles de las partes de zonas sí se arman
        if len(geometrias) == len(g) and shapely.equals(geometrias, g).all():
            de_predios.append(1)
        return real(geometrias, *a, **k)

    monkeypatch.setattr(Z.shapely, "STRtree", espia)
    t = asignar_zonas(g, capas, arbol=arbol, predios=compartidos)
    u = en_zona_urbana(g, urbana, compartidos)
    assert de_predios == []
    assert en_zona_urbana(g, urbana).tolist() == u.tolist() and de_predios == [1]  # sin compartir
    monkeypatch.undo()
    assert t["zona_recoleccion"].tolist() == asignar_zonas(g, capas)["zona_recoleccion"].tolist()
    assert t["zona_recoleccion"].tolist() == ["A", "B", None]
    # el segundo tiene 7 de sus 10 m de ancho dentro del casco urbano (hasta x = 102)
    assert u.tolist() == [True, True, False]
    assert u.tolist() == en_zona_urbana(g, urbana).tolist()

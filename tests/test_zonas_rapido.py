"""Asignación de zonas: casos límite de la vía rápida (un vértice por predio si no toca un
límite) y del desempate de sectores, con respuestas calculadas a mano o por fuerza bruta.

Zonas A (x < 15) y B (x ≥ 15) como en ``test_zonas.py``; coordenadas locales en metros
trasladadas a UTM 18S por :func:`geometrias.capa` (salvo las pruebas al azar, en locales).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, box

import geometrias as G
from geo.zonas import asignar_por_area, asignar_zonas, avisos_divididos, sector_de_tramos


def zonas_ab():
    return G.capa([box(-100, -100, 15, 100), box(15, -100, 100, 100)], zona=["A", "B"])


def geoms(*g):
    return G.capa(list(g)).geometry.to_numpy()


def lineas(*g):
    return G.capa(list(g)).geometry.to_numpy()


# ---------------------------------------------------------------- asignar_por_area


def test_predio_con_lado_o_vertice_sobre_el_limite_por_dentro_tiene_la_zona_entera():
    # lado x = 15 por dentro de A; lado x = 15 por dentro de B; esquina de la capa (dos lados
    # sobre el contorno exterior de A); triángulo con solo la punta sobre el límite.
    r = asignar_por_area(geoms(box(5, 0, 15, 10), box(15, 20, 25, 30), box(-100, -100, -90, -90),
                               Polygon([(5, 0), (15, 5), (5, 10)])), zonas_ab())
    assert r["pos"].tolist() == [0, 1, 0, 0]
    assert r["fraccion"].tolist() == [1.0, 1.0, 1.0, 1.0]  # 'contains', sin medir áreas
    assert r["fraccion_segunda"].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert not r["dividido"].any()


def test_predio_que_toca_la_zona_por_fuera_queda_sin_zona():
    z = G.capa([box(0, 0, 10, 10)], zona=["Z"])
    r = asignar_por_area(geoms(box(10, 0, 20, 10), box(10, 10, 20, 20)), z)  # lado; esquina
    assert r["pos"].tolist() == [-1, -1]
    assert r["fraccion"].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("orden", [["A", "B"], ["B", "A"]])
def test_mitad_y_mitad_gana_la_primera_de_la_capa(orden):
    cajas = {"A": box(-100, -100, 15, 100), "B": box(15, -100, 100, 100)}
    z = G.capa([cajas[k] for k in orden], zona=orden)
    r = asignar_por_area(geoms(box(10, 0, 20, 10)), z)
    assert r["pos"].tolist() == [0]  # la primera de la capa, sea A o B
    assert r["fraccion"].tolist() == [0.5]
    assert r["fraccion_segunda"].tolist() == [0.5]
    assert r["dividido"].tolist() == [True]


def test_85_15_dividido_95_5_no_y_10_por_ciento_justo_no():
    # anchos de 20 m: A se lleva 17, 3, 19 y 18 m.
    r = asignar_por_area(geoms(box(-2, 0, 18, 10), box(12, 0, 32, 10), box(-4, 0, 16, 10),
                               box(-3, 0, 17, 10)), zonas_ab())
    assert r["pos"].tolist() == [0, 1, 0, 0]
    assert r["fraccion"].tolist() == pytest.approx([0.85, 0.85, 0.95, 0.9], abs=1e-12)
    assert r["fraccion_segunda"].tolist() == pytest.approx([0.15, 0.15, 0.05, 0.1], abs=1e-12)
    assert r["dividido"].tolist() == [True, True, False, False]  # "más de" 10 %


def test_predio_en_dos_zonas_superpuestas():
    z = G.capa([box(-100, -100, 100, 100), box(0, 0, 20, 20)], zona=["grande", "chica"])
    # entero en las dos: empate 100 % / 100 % → la primera, y la segunda se lleva todo.
    r = asignar_por_area(geoms(box(5, 5, 10, 10), box(50, 50, 60, 60)), z)
    assert r["pos"].tolist() == [0, 0]
    assert r["fraccion"].tolist() == [1.0, 1.0]
    assert r["fraccion_segunda"].tolist() == pytest.approx([1.0, 0.0], abs=1e-12)
    assert r["dividido"].tolist() == [True, False]
    invertida = G.capa([box(0, 0, 20, 20), box(-100, -100, 100, 100)], zona=["chica", "grande"])
    # empate → la primera (chica); entero en la grande y mitad en la chica → la grande.
    # (Su fracción en la segunda no se fija aquí: con zonas superpuestas, el predio contenido
    # en una sola no mide su área en las otras.)
    r = asignar_por_area(geoms(box(5, 5, 10, 10), box(15, 0, 25, 10)), invertida)
    assert r["pos"].tolist() == [0, 1]


def test_zona_multiparte():
    z = G.capa([MultiPolygon([box(0, 0, 10, 10), box(50, 0, 60, 10)]), box(10, 0, 50, 10)],
               zona=["A", "B"])
    r = asignar_por_area(geoms(box(52, 2, 55, 5),    # dentro de la 2.ª parte de A
                               box(45, 0, 55, 10),   # mitad B, mitad A → A (primera)
                               box(8, 0, 18, 10),    # 20 % A, 80 % B
                               box(20, 20, 30, 30)), z)
    assert r["pos"].tolist() == [0, 0, 1, -1]
    assert r["fraccion"].tolist() == pytest.approx([1.0, 0.5, 0.8, 0.0], abs=1e-12)
    assert r["fraccion_segunda"].tolist() == pytest.approx([0.0, 0.5, 0.2, 0.0], abs=1e-12)
    assert r["dividido"].tolist() == [False, True, True, False]


def test_predio_sobre_dos_partes_de_la_misma_zona_no_esta_dividido():
    # Partes que comparten un lado (multipolígono inválido, pero frecuente): el predio que lo
    # cruza queda entero en A, sin segunda zona.
    z = G.capa([MultiPolygon([box(0, 0, 10, 10), box(10, 0, 20, 10)]), box(20, 0, 30, 10)],
               zona=["A", "B"])
    r = asignar_por_area(geoms(box(5, 2, 15, 8)), z)
    assert r["pos"].tolist() == [0]
    assert r["fraccion"].tolist() == pytest.approx([1.0], abs=1e-12)
    assert r["fraccion_segunda"].tolist() == [0.0]
    assert r["dividido"].tolist() == [False]


def test_huecos_en_el_predio_y_en_la_zona():
    con_hueco = Polygon(box(0, 0, 30, 30).exterior, [box(10, 10, 20, 20).exterior])
    r = asignar_por_area(geoms(con_hueco), G.capa([box(12, 12, 18, 18)], zona=["Z"]))
    assert r["pos"].tolist() == [-1]  # la zona cae en el hueco del predio
    zona = G.capa([Polygon(box(0, 0, 100, 100).exterior, [box(40, 40, 60, 60).exterior])],
                  zona=["Z"])
    r = asignar_por_area(geoms(box(45, 45, 50, 50), box(35, 45, 45, 50), box(10, 10, 20, 20),
                               box(40, 40, 60, 60)), zona)
    assert r["pos"].tolist() == [-1, 0, 0, -1]  # en el hueco; mitad; dentro; el hueco justo
    assert r["fraccion"].tolist() == pytest.approx([0.0, 0.5, 1.0, 0.0], abs=1e-12)


def test_predio_que_contiene_una_zona_entera():
    r = asignar_por_area(geoms(box(0, 0, 10, 10)), G.capa([box(2, 2, 4, 4)], zona=["Z"]))
    assert r["pos"].tolist() == [0]
    assert r["fraccion"].tolist() == pytest.approx([0.04], abs=1e-12)
    assert r["dividido"].tolist() == [False]


def test_fuera_de_toda_zona_nulos_y_vacios():
    g = np.concatenate([geoms(box(500, 500, 510, 510)),
                        np.array([None, Polygon()], dtype=object)])
    r = asignar_por_area(g, zonas_ab())
    assert r["pos"].tolist() == [-1, -1, -1]
    assert r["fraccion"].tolist() == [0.0, 0.0, 0.0]
    assert not r["dividido"].any()


def test_con_arbol_dado_igual_que_sin_arbol():
    g = geoms(box(5, 0, 15, 10), box(10, 0, 20, 10), box(-2, 0, 18, 10), box(500, 0, 510, 10))
    sin = asignar_por_area(g, zonas_ab())
    con = asignar_por_area(g, zonas_ab(), arbol=shapely.STRtree(g))
    pd.testing.assert_frame_equal(sin, con)


def _capa_local(g, **columnas):
    return gpd.GeoDataFrame(columnas, geometry=list(g), crs=G.CRS)


def _mosaico(rng, n_zonas=4, superpuesta=False):
    """Zonas hechas de celdas de 10 m (varias multiparte) y un rombo de lados diagonales:
    recortado de las demás (sin superposición) o, con ``superpuesta``, encima de ellas."""
    celdas = [box(i * 10, j * 10, i * 10 + 10, j * 10 + 10) for i in range(6) for j in range(6)]
    k = rng.integers(0, n_zonas, len(celdas))
    rombo = Polygon([(30, -10), (70, 30), (30, 70), (-10, 30)])
    zonas = [shapely.union_all([c for c, kk in zip(celdas, k) if kk == z]) for z in range(n_zonas)]
    if not superpuesta:
        zonas = [z.difference(rombo) for z in zonas]
    zonas.append(rombo)
    return _capa_local([z for z in zonas if not z.is_empty])


@pytest.mark.parametrize("semilla", range(6))
def test_igual_que_medir_el_area_en_cada_zona(semilla):
    # Referencia por fuerza bruta: fracción del área del predio en cada zona entera (zonas
    # sin superposición, con límites rectos y diagonales).
    rng = np.random.default_rng(semilla)
    z = _mosaico(rng)
    xy = rng.integers(-5, 60, (400, 2)).astype(float)
    wh = rng.integers(1, 9, (400, 2)).astype(float)
    xy[::3] += 0.5  # algunos no alineados con la grilla
    g = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + wh[:, 0], xy[:, 1] + wh[:, 1])
    r = asignar_por_area(g, z)
    zg = z.geometry.to_numpy()
    frac = np.stack([shapely.area(shapely.intersection(g, zk)) for zk in zg], axis=1)
    frac /= shapely.area(g)[:, None]
    orden = np.argsort(-frac, axis=1, kind="stable")  # empate → la primera zona
    f1 = np.take_along_axis(frac, orden[:, :1], axis=1)[:, 0]
    f2 = np.take_along_axis(frac, orden[:, 1:2], axis=1)[:, 0]
    claro = f1 - f2 > 1e-9  # sin empate por ruido de redondeo
    esperado = np.where(f1 > 0, orden[:, 0], -1)
    assert (r["pos"].to_numpy()[claro] == esperado[claro]).all()
    assert np.allclose(r["fraccion"], f1, rtol=0, atol=1e-9)
    assert np.allclose(r["fraccion_segunda"], f2, rtol=0, atol=1e-9)
    assert (r["dividido"].to_numpy() == (f2 > 0.1 + 1e-9))[np.abs(f2 - 0.1) > 1e-9].all()
    # muchos apoyados en un límite por dentro (contenidos, fracción exacta 1) y muchos partidos
    assert (r["fraccion"] == 1.0).sum() > 50 and r["dividido"].sum() > 20


# ---------------------------------------------------------------- sector_de_tramos


def test_punto_medio_en_el_limite_gana_el_sector_con_mas_longitud():
    # (15,-2)→(15,5)→(17,5): 9 m, punto medio (15; 2,5) sobre el límite. En A quedan los 7 m
    # sobre el límite; en B esos 7 más 2 → B aunque A sea la primera.
    # (13,5)→(15,5)→(15,12): punto medio (15; 7,5); A: 2 + 7 = 9 m, B: 7 m → A.
    s = sector_de_tramos(lineas(LineString([(15, -2), (15, 5), (17, 5)]),
                                LineString([(13, 5), (15, 5), (15, 12)])), zonas_ab())
    assert s.tolist() == [1, 0]


@pytest.mark.parametrize("invertir", [False, True])
def test_punto_medio_en_un_limite_diagonal_empate_la_primera(invertir):
    abajo, arriba = Polygon([(0, 0), (20, 0), (20, 20)]), Polygon([(0, 0), (20, 20), (0, 20)])
    sect = G.capa([arriba, abajo] if invertir else [abajo, arriba], sector=["x", "y"])
    # (4,8)–(8,4): punto medio (6,6) sobre la diagonal, √8 m a cada lado → la primera.
    # (4,12)–(12,4): punto medio (8,8) también; (2,8)–(8,2): (5,5) también.
    # (10,2)–(14,6): punto medio (12,4), abajo. (2,10)–(6,14): (4,12), arriba.
    s = sector_de_tramos(lineas(LineString([(4, 8), (8, 4)]), LineString([(4, 12), (12, 4)]),
                                LineString([(2, 8), (8, 2)]), LineString([(10, 2), (14, 6)]),
                                LineString([(2, 10), (6, 14)])), sect)
    abajo_pos, arriba_pos = (1, 0) if invertir else (0, 1)
    assert s.tolist() == [0, 0, 0, abajo_pos, arriba_pos]


def test_sectores_superpuestos_y_multiparte():
    sup = G.capa([box(5, 0, 10, 10), box(0, 0, 20, 10)], sector=["chico", "grande"])
    # (6,5)–(8,5): dentro de los dos, 2 m en cada uno → el primero (chico).
    # (4,5)–(9,5): punto medio (6,5; 5) en los dos; chico 4 m, grande 5 m → grande.
    # (2,5)–(8,5): punto medio (5,5) en el borde del chico y dentro del grande → grande (6 m).
    s = sector_de_tramos(lineas(LineString([(6, 5), (8, 5)]), LineString([(4, 5), (9, 5)]),
                                LineString([(2, 5), (8, 5)])), sup)
    assert s.tolist() == [0, 1, 1]
    multi = G.capa([MultiPolygon([box(0, 0, 10, 10), box(20, 0, 30, 10)]), box(10, 0, 20, 10)],
                   sector=["A", "B"])
    tr = lineas(LineString([(22, 5), (24, 5)]), LineString([(8, 5), (12, 5)]),
                LineString([(19, 5), (21, 5)]), LineString([(16, 5), (22, 5)]),
                LineString([(50, 5), (52, 5)]))
    esperado = [0, 0, 0, 1, -1]  # 2.ª parte de A; límites A|B con empate → A; B; fuera
    assert sector_de_tramos(tr, multi).tolist() == esperado
    xy = shapely.get_coordinates(tr).reshape(-1, 2, 2)
    medio = shapely.points(xy.mean(axis=1))
    assert sector_de_tramos(tr, multi, medio).tolist() == esperado


@pytest.mark.parametrize("semilla", range(4))
def test_sector_igual_que_la_regla_por_fuerza_bruta(semilla):
    rng = np.random.default_rng(semilla)
    sect = _mosaico(rng, superpuesta=True)
    sg = sect.geometry.to_numpy()
    centro = rng.integers(-5, 65, (500, 2)).astype(float)
    centro[::2] += rng.choice([0.0, 0.5], (250, 2))
    d = rng.integers(-6, 7, (500, 2)) * rng.choice([1.0, 0.5], (500, 1))
    tr = shapely.linestrings(np.stack([centro - d, centro + d], axis=1))
    s = sector_de_tramos(tr, sect)
    medio = shapely.points(centro)
    dentro = np.stack([shapely.intersects(zk, medio) for zk in sg], axis=1)
    largo = np.stack([shapely.length(shapely.intersection(tr, zk)) for zk in sg], axis=1)
    largo = np.where(dentro, largo, -1.0)
    esperado = np.where(dentro.any(axis=1), np.argmax(largo, axis=1), -1)  # empate → la primera
    varios = dentro.sum(axis=1) > 1
    assert varios.sum() > 20  # hay puntos medios sobre límites
    assert s.tolist() == esperado.tolist()


# ---------------------------------------------------------------- asignar_zonas y avisos


def test_marcas_y_avisos_de_predios_divididos():
    g = geoms(box(-2, 0, 18, 10),    # 85/15 en recolección, 85/15 en barrio
              box(20, 0, 30, 10),    # entero en B
              box(12, 20, 32, 30))   # 15/85 en recolección; barrio entero
    capas = {"zonas_recoleccion": zonas_ab(),
             "barrios": G.capa([box(-100, -100, 15, 15), box(15, -100, 100, 15),
                                box(-100, 15, 100, 100)], barrio=["Norte", "Sur", "Alto"])}
    t = asignar_zonas(g, capas)
    assert t["zona_recoleccion"].tolist() == ["A", "B", "B"]
    assert t["barrio"].tolist() == ["Norte", "Sur", "Alto"]
    assert t["flags"].tolist() == ["zona_recoleccion_dividida;barrio_dividido", "",
                                   "zona_recoleccion_dividida"]
    avisos = avisos_divididos(t, np.array(["P1", "P2", "P3"], dtype=object), g)
    assert [(a.codigo, a.elemento) for a in avisos] == [
        ("ZONA_DIVIDIDA", "P1"), ("ZONA_DIVIDIDA", "P3"), ("ZONA_DIVIDIDA", "P1")]
    assert "se asignó 'A'" in avisos[0].mensaje and "15% de su área" in avisos[0].mensaje
    assert "límite de barrio" in avisos[2].mensaje and "'Norte'" in avisos[2].mensaje
    for a, i in zip(avisos, [0, 2, 0]):
        x, y = map(float, a.ubicacion.split())
        assert shapely.contains_xy(g[i], x, y)
    sin = t.assign(flags="")
    assert avisos_divididos(sin, np.array(["P1", "P2", "P3"], dtype=object), g) == []


# ---------------------------------------------------------------- puntos_en_poligonos


def test_puntos_en_poligonos_igual_con_pocos_y_con_muchos(monkeypatch):
    """Con pocos polígonos se recorren en numpy (sin un punto de shapely por coordenada); con
    muchos, STRtree + intersects. Mismos pares, con puntos en bordes, vértices, huecos, fuera
    de todo y faltantes (NaN). Pares esperados a mano para los puntos fijos."""
    import geo.zonas as Z

    hueco = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(4, 4), (6, 4), (6, 6), (4, 6)]])
    pols = np.array([hueco, box(10, 0, 20, 10),
                     MultiPolygon([box(30, 0, 31, 1), box(32, 0, 33, 1)])], dtype=object)
    x = np.array([5.0, 10.0, 10.0, 2.0, 4.0, 15.0, 30.5, 31.5, 50.0, np.nan])
    y = np.array([5.0, 5.0, 10.0, 2.0, 5.0, 5.0, 0.5, 0.5, 5.0, np.nan])
    # (5,5) en el hueco: ninguno; (10,5) borde común: 0 y 1; (10,10) vértice común: 0 y 1;
    # (4,5) borde del hueco: 0; (31.5, 0.5) entre las partes del multipolígono: ninguno
    esperado = {(1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (4, 0), (5, 1), (6, 2)}
    rng = np.random.default_rng(7)
    xa, ya = rng.uniform(-5, 40, 2000), rng.uniform(-5, 15, 2000)
    xa[:200], ya[:200] = np.round(xa[:200]), np.round(ya[:200])  # muchos en bordes y vértices
    pocos = Z.puntos_en_poligonos(pols, x, y)
    pocos_azar = Z.puntos_en_poligonos(pols, xa, ya)
    monkeypatch.setattr(Z, "POCOS_POLIGONOS", 0)
    muchos = Z.puntos_en_poligonos(pols, x, y)
    muchos_azar = Z.puntos_en_poligonos(pols, xa, ya)
    assert set(zip(*map(np.ndarray.tolist, pocos))) == esperado
    assert set(zip(*map(np.ndarray.tolist, muchos))) == esperado
    assert (set(zip(*map(np.ndarray.tolist, pocos_azar)))
            == set(zip(*map(np.ndarray.tolist, muchos_azar))))
    bruto = {(i, k) for i in range(len(xa)) for k in range(len(pols))
             if pols[k].intersects(shapely.Point(xa[i], ya[i]))}
    assert set(zip(*map(np.ndarray.tolist, pocos_azar))) == bruto

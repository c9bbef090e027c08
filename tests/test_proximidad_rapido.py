"""Área verde más cercana (``verde_mas_cercano``): casos dibujados a mano con la respuesta
conocida de antemano, y una comparación con la distancia de shapely predio por predio."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box

from geo.proximidad import verde_mas_cercano


def medir(geoms, verdes):
    """``{posición del predio: (área verde, distancia)}``."""
    h, g, d = verde_mas_cercano(np.array(geoms, dtype=object), np.array(verdes, dtype=object))
    return {int(i): (int(v), float(x)) for i, v, x in zip(h, g, d)}


PARQUE = box(0, 0, 100, 100)


def test_a_99_y_a_101_metros():
    # Lindero a lindero, en línea recta: 199 - 100 = 99 y 0 - (-101) = 101 (exactos).
    r = medir([box(199, 20, 209, 30), box(-111, 20, -101, 30)], [PARQUE])
    assert r == {0: (0, 99.0), 1: (0, 101.0)}


def test_toca_el_parque_o_se_solapa_distancia_cero():
    pegado = box(100, 40, 110, 50)  # comparte un lado con el parque
    esquina = box(100, 100, 110, 110)  # solo un vértice
    solapado = box(95, 40, 110, 50)
    adentro = box(40, 40, 50, 50)
    r = medir([pegado, esquina, solapado, adentro], [box(300, 300, 310, 310), PARQUE])
    assert r == {0: (1, 0.0), 1: (1, 0.0), 2: (1, 0.0), 3: (1, 0.0)}


def test_empate_gana_la_primera_area_verde_de_la_capa():
    # El predio (x de 45 a 55) queda a 15 m de los dos parques; un tercero (el primero de la
    # capa) está lejos. Gana el que va antes en la capa, en cualquier orden.
    lote = box(45, 0, 55, 10)
    oeste, este, lejos = box(0, 0, 30, 10), box(70, 0, 100, 10), box(1000, 1000, 1010, 1010)
    assert medir([lote], [lejos, oeste, este]) == {0: (1, 15.0)}
    assert medir([lote], [lejos, este, oeste]) == {0: (1, 15.0)}
    # Empate entre un vértice del parque y un lado del predio, y un lado del parque frente a un
    # lado del predio: 10 m a cada uno.
    triangulo = Polygon([(50, 20), (40, 40), (60, 40)])  # punta hacia abajo, en (50, 20)
    losa = box(0, -30, 100, -10)  # 10 m por debajo del predio
    lote = box(30, 0, 70, 10)
    assert medir([lote], [losa, triangulo]) == {0: (0, 10.0)}
    assert medir([lote], [triangulo, losa]) == {0: (0, 10.0)}


def test_lo_mas_cercano_no_es_el_primer_vertice():
    # Lote largo: empieza en (0, 0), lejos del parque; lo más cercano es el medio de su lado
    # de arriba (y = 10) frente a la punta del triángulo en (50, 20): 10 m.
    largo = Polygon([(0, 0), (100, 0), (100, 10), (0, 10)])
    triangulo = Polygon([(50, 20), (40, 40), (60, 40)])
    # Lote en L (primer vértice en (0, 0)): el brazo horizontal queda a 10 m del parque
    # (y = 10 frente a y = 20), el vertical a 20 m (x = 10 frente a x = 30).
    ele = Polygon([(0, 0), (100, 0), (100, 10), (10, 10), (10, 100), (0, 100)])
    cuadrado = box(30, 20, 40, 30)
    assert medir([largo], [triangulo]) == {0: (0, 10.0)}
    assert medir([ele], [cuadrado]) == {0: (0, 10.0)}
    # Lo mismo girado 90° (alrededor del origen): las mismas distancias.
    r = medir([affinity.rotate(largo, 90, origin=(0, 0)), affinity.rotate(ele, 90, origin=(0, 0))],
              [affinity.rotate(triangulo, 90, origin=(0, 0))])
    assert r[0] == (0, pytest.approx(10.0, abs=1e-9))


def test_area_verde_multiparte():
    # La segunda parte del área verde 1 está a 5 m; el área verde 0, a 50 m.
    verdes = [box(-60, 0, -50, 10), MultiPolygon([box(500, 500, 510, 510), box(15, 0, 25, 10)])]
    assert medir([box(0, 0, 10, 10)], verdes) == {0: (1, 5.0)}


def test_predio_en_el_agujero_de_un_parque():
    # Parque con un patio (agujero) de 40 a 60; el predio está en el patio: no lo toca y
    # queda a 5 m del borde del patio (45 - 40). Otro parque, más lejos, va primero en la capa.
    con_patio = PARQUE.difference(box(40, 40, 60, 60))
    lote = box(45, 45, 52, 52)
    assert medir([lote], [box(-30, 45, -20, 55), con_patio]) == {0: (1, 5.0)}


def test_geometrias_vacias_o_nulas_no_dan_fila():
    r = medir([None, Polygon(), box(199, 20, 209, 30)], [PARQUE])
    assert r == {2: (0, 99.0)}


def test_sin_areas_verdes():
    h, g, d = verde_mas_cercano(np.array([box(0, 0, 1, 1)], dtype=object),
                                np.array([], dtype=object))
    assert len(h) == len(g) == len(d) == 0


@pytest.mark.parametrize("semilla", [0, 1, 2])
def test_igual_que_shapely_predio_por_predio(semilla):
    # Predios girados, en L, con agujero, multiparte y muchos vértices, en coordenadas UTM;
    # áreas verdes con agujeros, multiparte y finas. Referencia independiente: la distancia de
    # shapely a cada área verde entera, y la primera de menor distancia (bit a bit).
    rng = np.random.default_rng(semilla)
    ox, oy = 452_000.0, 8_816_000.0
    verdes = [
        box(0, 0, 60, 40).difference(box(20, 10, 40, 30)),
        MultiPolygon([box(200, 0, 230, 30), box(260, 0, 290, 30)]),
        affinity.rotate(box(-200, 150, 100, 156), 17, origin=(0, 0)),
        shapely.Point(-150, -120).buffer(35, quad_segs=5),
        box(120, -200, 160, -160),
        box(160, -200, 200, -160),  # pegada a la anterior
    ]
    piezas = []
    for x, y, w, h, a in zip(rng.uniform(-400, 400, 600), rng.uniform(-400, 400, 600),
                             rng.uniform(2, 30, 600), rng.uniform(2, 40, 600),
                             rng.choice([0.0, 90.0, 30.0, 45.0, 73.0], 600)):
        piezas.append(affinity.rotate(box(x, y, x + w, y + h), a, origin=(x, y)))
    piezas += [
        Polygon([(300, 300), (340, 300), (340, 310), (310, 310), (310, 340), (300, 340)]),
        box(-10, -10, 80, 60).difference(box(-5, -5, 75, 55)),  # marco alrededor del parque
        MultiPolygon([box(25, 15, 35, 25), box(500, 500, 510, 510)]),  # una parte en el patio
        shapely.Point(150, 100).buffer(12, quad_segs=16),
        box(190, -190, 195, -170),  # entre las dos pegadas: empate 0 / 0
    ]
    geoms = np.array(piezas, dtype=object)
    verdes = np.array(verdes, dtype=object)
    geoms = shapely.transform(geoms, lambda c: c + (ox, oy))
    verdes = shapely.transform(verdes, lambda c: c + (ox, oy))

    h, g, d = verde_mas_cercano(geoms, verdes)
    todas = shapely.distance(geoms[:, None], verdes[None, :])
    assert h.tolist() == list(range(len(geoms)))
    assert d.tolist() == todas.min(axis=1).tolist()  # bit a bit
    assert g.tolist() == todas.argmin(axis=1).tolist()  # empate: la primera de la capa

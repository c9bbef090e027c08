"""Categoría de parques (Art. 16.1): A frente, B cerca, C lejos, D fuera de zona urbana."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

import geometrias as G
from geo.errores import ErrorDatos
from geo.frontis import calcular_frontis, huellas
from geo.proximidad import categoria_parques, grafo_vias


def categorias(capas, umbral=100.0, distancia="euclidea"):
    p = capas["predios"]
    fr = calcular_frontis(p, capas["vias"], areas_verdes=capas["areas_verdes"])
    _, geoms, claves = huellas(p)
    t = categoria_parques(geoms, fr.tramos, capas["vias"], capas["areas_verdes"],
                          capas.get("zona_urbana"), umbral, distancia)
    t.index = claves
    return t


def test_frente_a_parque_al_otro_lado_de_la_cuadra():
    t = categorias(G.barrio_con_parque())
    for c in ("M21", "M22", "M23", "M24"):
        assert t.at[c, "categoria_parques"] == "A"
        assert t.at[c, "area_verde_cercana"] == "Plaza"
    # Del lote (y = 30) al parque (y = 40): el ancho de la calle.
    assert t.at["M22", "distancia_area_verde_m"] == 10.0


def test_misma_calle_otra_cuadra_no_es_frente():
    # Trampa (d): E21 da al Jr. Norte como la plaza, pero a la cuadra 2. Distancia de su
    # esquina (50, 30) a la esquina del parque (40, 40): √200.
    t = categorias(G.barrio_con_parque())
    assert t.at["E21", "categoria_parques"] == "B"
    assert t.at["E21", "distancia_area_verde_m"] == pytest.approx(np.sqrt(200), abs=0.01)


def test_lotes_del_lado_de_atras_no_son_frente():
    # Los lotes del sur dan al Jr. Sur; del otro lado no hay parque (distancia 40 - 15 = 25).
    t = categorias(G.barrio_con_parque())
    assert t.at["M12", "categoria_parques"] == "B"
    assert t.at["M12", "distancia_area_verde_m"] == 25.0


def test_99_m_cerca_101_m_lejos_y_fuera_de_zona_urbana():
    t = categorias(G.barrio_con_parque())
    assert (t.at["L99", "categoria_parques"], t.at["L99", "distancia_area_verde_m"]) == ("B", 99)
    assert (t.at["L101", "categoria_parques"], t.at["L101", "distancia_area_verde_m"]) == (
        "C", 101)
    assert t.at["LD", "categoria_parques"] == "D"


def test_umbral_es_parametro():
    t = categorias(G.barrio_con_parque(), umbral=150.0)
    assert t.at["L101", "categoria_parques"] == "B"
    t = categorias(G.barrio_con_parque(), umbral=50.0)
    assert t.at["L99", "categoria_parques"] == "C"


def test_berma_central_es_frente_por_ambos_lados():
    p = G.predios([box(0, 5, 10, 20), box(0, -20, 10, -5)], ["NORTE", "SUR"])
    v = G.vias([("Av. Con Berma", 1, [(-50, 0), (50, 0)])])
    berma = G.capa([box(-50, -1, 50, 1)], nombre=["Berma"], tipo=["berma_central"])
    t = categorias({"predios": p, "vias": v, "areas_verdes": berma})
    assert t["categoria_parques"].tolist() == ["A", "A"]


def test_via_sin_cuadras_exige_parque_enfrente():
    # Una sola fila para toda la calle (sin 'cuadra'): el parque a 200 m sobre la misma calle
    # no es «frente»; el lote de enfrente sí.
    v = G.vias([("Calle Larga", None, [(-500, 0), (500, 0)])]).drop(columns="cuadra")
    p = G.predios([box(0, -20, 10, -5), box(200, -20, 210, -5)], ["ENFRENTE", "LEJOS"])
    parque = G.capa([box(-10, 5, 20, 30)], nombre=["Parque"], tipo=["parque"])
    urbana = G.capa([box(-600, -600, 600, 600)], nombre=["u"])
    t = categorias({"predios": p, "vias": v, "areas_verdes": parque, "zona_urbana": urbana})
    assert t.at["ENFRENTE", "categoria_parques"] == "A"
    assert t.at["LEJOS", "categoria_parques"] == "C"


def _esquina_entre_dos_plazas(sur_m, oeste_m):
    """Lote de esquina (0..10 × 0..15) con una plaza al otro lado del Jr. Sur (eje y = -5) y
    otra al otro lado del Jr. Oeste (eje x = -5), a ``sur_m`` y ``oeste_m`` del lote (las dos
    a menos de semiancho + tolerancia = 5,5 m del eje: las dos son «frente»)."""
    v = G.vias([("Jr. Sur", 1, [(-5, -5), (45, -5)]), ("Jr. Oeste", 1, [(-5, -5), (-5, 35)])])
    p = G.predios([box(0, 0, 10, 15)], ["ESQ"])
    plazas = G.capa([box(0, -40, 40, -sur_m), box(-40, 0, -oeste_m, 30)],
                    nombre=["Plaza Sur", "Parque Oeste"], tipo=["parque", "parque"])
    return {"predios": p, "vias": v, "areas_verdes": plazas}


def test_esquina_frente_a_dos_plazas_toma_la_mas_cercana():
    # Las dos plazas dan al lote por sus dos frentes; gana la más cercana, en los dos sentidos
    # (si no se midiera la distancia de cada trozo a su plaza, ganaría siempre la misma).
    t = categorias(_esquina_entre_dos_plazas(10.0, 10.4))
    assert t.at["ESQ", "categoria_parques"] == "A"
    assert t.at["ESQ", "area_verde_cercana"] == "Plaza Sur"
    assert t.at["ESQ", "distancia_area_verde_m"] == 10.0
    t = categorias(_esquina_entre_dos_plazas(10.4, 10.0))
    assert t.at["ESQ", "area_verde_cercana"] == "Parque Oeste"
    assert t.at["ESQ", "distancia_area_verde_m"] == 10.0


def test_frente_a_una_plaza_con_otra_mas_cerca_por_detras():
    # Categoría A por la plaza de enfrente (10 m, al otro lado del Jr. Sur), aunque un jardín a
    # 2 m por detrás del lote (sin calle de por medio) sea el área verde más cercana: se
    # informan la plaza de enfrente y su distancia.
    v = G.vias([("Jr. Sur", 1, [(-5, -5), (45, -5)])])
    p = G.predios([box(0, 0, 10, 15)], ["L"])
    verdes = G.capa([box(0, -40, 40, -10), box(0, 17, 10, 25)],
                    nombre=["Plaza Sur", "Jardín"], tipo=["parque", "jardin"])
    t = categorias({"predios": p, "vias": v, "areas_verdes": verdes})
    assert t.at["L", "categoria_parques"] == "A"
    assert t.at["L", "area_verde_cercana"] == "Plaza Sur"
    assert t.at["L", "distancia_area_verde_m"] == 10.0


def test_distancia_por_red_rodea_la_manzana():
    # U1: de su frente (5, 60) por la Calle Alta hasta x = 200 (195 m), por el Enlace (60 m) y
    # por la Calle Baja hasta donde su eje queda a semiancho + tolerancia (5,5 m) del parque:
    # el parque acaba en x = 40 a 5 m del eje → x = 40 + √(5,5² − 5²).
    capas = G.red_en_u()
    borde = 40 + np.sqrt(5.5**2 - 5**2)
    e = categorias(capas)
    r = categorias(capas, distancia="red")
    assert e.at["U1", "categoria_parques"] == "B"
    assert e.at["U1", "distancia_area_verde_m"] == 5.0
    assert r.at["U1", "distancia_area_verde_m"] == pytest.approx(195 + 60 + (200 - borde), abs=0.01)
    assert r.at["U1", "categoria_parques"] == "C"
    # U2, en la misma arista que el acceso al parque: recorrido directo desde x = 105.
    assert r.at["U2", "categoria_parques"] == "A"  # misma cuadra, lado opuesto
    assert r.at["U2", "distancia_area_verde_m"] == pytest.approx(105 - borde, abs=0.01)


def test_grafo_une_ejes_casi_tocandose():
    # Dos ejes que no se tocan por 0,3 m: un solo componente.
    v = G.vias([("a", 1, [(0, 0), (100, 0)]), ("b", 1, [(100.3, 0), (200, 0)])])
    grafo, _ = grafo_vias(v, tolerancia=0.5)
    import networkx as nx
    assert nx.number_connected_components(grafo) == 1


def test_distancia_invalida():
    capas = G.barrio_con_parque()
    with pytest.raises(ErrorDatos, match="distancia='manhattan'"):
        categorias(capas, distancia="manhattan")


def test_verde_mas_cercano_igual_que_query_nearest_sobre_poligonos():
    # Segunda forma, independiente: la distancia de shapely contra los polígonos enteros
    # (lo que se hacía antes). Áreas verdes multiparte, un predio dentro de un parque (0 m),
    # uno que lo toca (0 m) y otros lejos en varias direcciones.
    import shapely
    from shapely.geometry import MultiPolygon

    from geo.proximidad import verde_mas_cercano

    verdes = np.array([MultiPolygon([box(0, 0, 50, 30), box(300, 0, 340, 40)]),
                       box(100, 100, 130, 180).exterior.buffer(0).buffer(3)], dtype=object)
    rng = np.random.default_rng(1)
    xy = rng.uniform(-200, 500, (400, 2))
    geoms = np.concatenate([shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 8, xy[:, 1] + 12),
                            [box(10, 10, 20, 20), box(50, 0, 60, 10)]])
    h, g, d = verde_mas_cercano(geoms, verdes)
    assert h.tolist() == list(range(len(geoms)))
    (qh, qg), qd = shapely.STRtree(verdes).query_nearest(geoms, return_distance=True)
    assert d.tolist() == qd.tolist()  # la misma distancia, bit a bit
    assert d[-2:].tolist() == [0.0, 0.0]
    unico = np.bincount(qh, minlength=len(geoms))[qh] == 1
    assert (g[qh[unico]] == qg[unico]).all()

"""Mapas publicables: archivos, sin red, escape, privacidad, tamaños, índice y láminas A3.

El distrito de prueba se dibuja a mano (abajo, :func:`distrito_de_prueba`) con las columnas
que dejan las derivaciones, incluida una unidad en propiedad horizontal, una dirección con
HTML malicioso y montos como Decimal, texto y float. Las respuestas esperadas se calculan
aquí, aparte del código bajo prueba.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from geo.errores import ErrorCRS, ErrorDatos
from geo.mapas import publicar_mapas
from geo.mapas.interactivos import json_seguro
from geo.mapas.temas import numero, por_intervalos, tema_mora
from tests.conftest import capas_minimas, escribir

CRS = "EPSG:32718"
X0, Y0 = 455_000.0, 8_829_000.0
TITULO = "Ordenanza Municipal N° 466-2019-M.P.O."
NOMBRE = "Núñez Peña, José"
DNI = "40123456"
XSS = "<script>alert(1)</script>"
XSS_CIERRE = "</script><script>window.__xss = 1</script>"
JINJA = "Jr. Grau 131 & Cía {{ 7*7 }} {% if x %}"
MAPAS = ["zonas-recoleccion.html", "sectores-barrido.html", "parques-jardines.html",
         "arbitrios.html", "serenazgo.html"]
"""Los mapas con predios (en el orden del índice)."""
MORA = "mora-barrios.html"
PUBLICADOS = [*MAPAS, MORA]
"""Todos los mapas de ``salida``, en el orden del índice: el de mora al final."""


def _b(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _l(*pts):
    return LineString([(X0 + x, Y0 + y) for x, y in pts])


def distrito_de_prueba():
    """Una manzana de 5 lotes de 10 × 20 m (x 0–50, y 0–20) entre dos vías, un área verde al
    norte y un lote suelto en la zona B (x 200–210). El lote 002 es un edificio con dos
    unidades en propiedad horizontal (002-A y 002-B, misma huella).

    Devuelve ``(capas, predios, frentes, microrutas, arbitrios)``; las micro-rutas sin
    geometría (se dibujan uniendo con ``vias`` por nombre y cuadra).
    """
    uno = lambda g, **kw: gpd.GeoDataFrame({k: [v] for k, v in kw.items()}, geometry=[g],
                                           crs=CRS)
    capas = {
        "vias": gpd.GeoDataFrame(
            {"nombre": ["Jr. Grau", "Jr. Bolognesi", "Carretera"], "tipo": ["jiron"] * 3,
             "cuadra": [1, 1, 1], "ancho_m": [10.0] * 3},
            geometry=[_l((-10, 25), (60, 25)), _l((-10, -5), (60, -5)),
                      _l((60, -5), (220, -5))], crs=CRS),
        "sectores_barrido": gpd.GeoDataFrame(
            {"sector": ["1", "2"], "frecuencia_semanal": [6, 3]},
            geometry=[_b(-50, -50, 25, 100), _b(25, -50, 100, 100)], crs=CRS),
        "zonas_recoleccion": gpd.GeoDataFrame(
            {"zona": ["A", "B"]}, geometry=[_b(-50, -50, 100, 100), _b(150, -50, 260, 100)],
            crs=CRS),
        "sectores_recoleccion": gpd.GeoDataFrame(
            {"sector": ["I", "II", "Chacos"], "zona": ["A", "A", "B"]},
            geometry=[_b(-50, -50, 25, 100), _b(25, -50, 100, 100), _b(150, -50, 260, 100)],
            crs=CRS),
        "areas_verdes": uno(_b(0, 30, 20, 50), nombre="Plaza Mayor", tipo="parque",
                            area_mantenimiento_m2=400.0),
        "distrito": uno(_b(-60, -60, 270, 110), nombre="Distrito de prueba"),
        "zona_urbana": uno(_b(-50, -50, 100, 100), nombre="Zona urbana"),
        "zonas_serenazgo": gpd.GeoDataFrame(
            {"zona": ["Centro", "Periferia"], "indice_peligrosidad": [1.2, 1.0]},
            geometry=[_b(-50, -50, 100, 100), _b(150, -50, 260, 100)], crs=CRS),
        "barrios": uno(_b(-60, -60, 270, 110), barrio="Centro"),
    }
    codigos = ["190301-01-001-001", "190301-01-001-002-A", "190301-01-001-002-B",
               "190301-01-001-003", "190301-01-001-004", "190301-01-001-005",
               "190301-09-001-001"]
    geoms = [_b(0, 0, 10, 20), _b(10, 0, 20, 20), _b(10, 0, 20, 20), _b(20, 0, 30, 20),
             _b(30, 0, 40, 20), _b(40, 0, 50, 20), _b(200, 0, 210, 20)]
    predios = gpd.GeoDataFrame(
        {
            "codigo": codigos,
            "uso": [1, 2, 1, 1, 7, 6, 1],
            "subuso": ["Unifamiliar", "Tienda", "Multifamiliar", "Unifamiliar", "", "", ""],
            "area_terreno_m2": [200.0] * 7,
            "area_construida_m2": [120.0, 150.0, 150.0, 90.0, 0.0, 400.0, 80.0],
            "condicion": [None, None, None, None, None, "municipalidad", None],
            "predio_matriz": [None, "190301-01-001-002", "190301-01-001-002", None, None, None,
                              None],
            "participacion": [None, 0.5, 0.5, None, None, None, None],
            "direccion": ["Jr. Grau 101", XSS, "Jr. Grau 111 Dpto. 2", XSS_CIERRE,
                          JINJA, "Jr. Grau 141", "Carretera km 2"],
            "contribuyente": [NOMBRE, "Müller Egg, Ana", "Frey, Luis", "Egg, Rosa",
                              "Schuler, Juan", "Municipalidad", "Koell, Pedro"],
            "documento": [DNI, "40999888", "41000111", "42000222", "43000333", "20100000001",
                          "44000444"],
            "barrio": ["Centro"] * 7,
            "frontis_m": [10.0, 5.0, 5.0, 10.0, 10.0, 20.0, 10.0],
            "categoria_parques": ["A", "A", "A", "B", "B", "C", "D"],
            "area_verde_cercana": ["Plaza Mayor"] * 7,
            "distancia_area_verde_m": [10.0, 10.0, 10.0, 10.0, 12.0, 15.0, 180.0],
            "zona_recoleccion": ["A", "A", "A", "A", "A", "A", "B"],
            "sector_recoleccion": ["I", "I", "I", "II", "II", "II", "Chacos"],
            "sector_barrido": ["1", "1", "1", "2", "2", "2", None],
            "zona_serenazgo": ["Centro"] * 6 + ["Periferia"],
            "flags": [""] * 7,
        },
        geometry=geoms, crs=CRS,
    )
    frentes = gpd.GeoDataFrame(
        {"codigo": ["190301-01-001-001", "190301-01-001-003", "190301-01-001-005"],
         "via": ["Jr. Grau"] * 3, "cuadra": [1, 1, 1], "sector_barrido": ["1", "2", "2"],
         "frecuencia_semanal": [6, 3, 3], "longitud_m": [10.0, 10.0, 10.0]},
        geometry=[_l((0, 20), (10, 20)), _l((20, 20), (30, 20)), _l((40, 20), (50, 20))],
        crs=CRS)
    microrutas = pd.DataFrame(
        {"sector": ["1", "2", "2"], "frecuencia_semanal": [6, 3, 3],
         "via": ["Jr. Grau", "Jr. Grau", "Jr. Bolognesi"], "cuadra": [1, 1, 1],
         "longitud_ml": [35.0, 35.0, 70.0], "ml_semanal": [210.0, 105.0, 210.0]})
    arbitrios = pd.DataFrame({
        "codigo": codigos[:-1],  # el lote de la zona B queda sin cálculo
        "uso": [1, 2, 1, 1, 7, 6],
        "zona_recoleccion": ["A"] * 6,
        "sector_barrido": ["1", "1", "1", "2", "2", "2"],
        "categoria_parques": ["A", "A", "A", "B", "B", "C"],
        "frontis_m": [10.0, 5.0, 5.0, 10.0, 10.0, 20.0],
        "area_construida_m2": [120.0, 150.0, 150.0, 90.0, 0.0, 400.0],
        "barrido_mensual": [Decimal("3.10"), "1.55", 1.55, Decimal("2.20"), 2.2, 4.4],
        "recoleccion_mensual": [Decimal("5.00")] * 6,
        "parques_mensual": [Decimal("2.50")] * 6,
        "serenazgo_mensual": [Decimal("4.00")] * 6,
        "exoneracion": [Decimal(0)] * 5 + [Decimal("15.90")],
        "total_mensual": [Decimal("14.60"), "13.05", 13.05, Decimal("13.70"), 13.7,
                          Decimal("0.00")],
        "total_anual": [Decimal("175.20"), "156.60", 156.6, Decimal("164.40"), 164.4,
                        Decimal("0.00")],
    })
    return capas, predios, frentes, microrutas, arbitrios


def mora_de_prueba() -> gpd.GeoDataFrame:
    """Cinco barrios en franjas que cubren el distrito (x −60…270), como los deja
    ``capa_mora_barrios``: mora acumulada 10, 20, 40 y 80 % y uno sin cuotas vencidas (NaN).

    El segundo barrio se llama con HTML malicioso; los meses vienen desordenados (enero de 2025
    antes que diciembre de 2024) y hay una columna personal que no debe publicarse.
    """
    franjas = [(-60, 0), (0, 25), (25, 100), (100, 180), (180, 270)]
    return gpd.GeoDataFrame(
        {"barrio": ["Centro", XSS, "San Martín", "Chacos", "La Florida"],
         "emitido": [1000.0, 500.0, 250.0, 125.5, np.nan],
         "insoluto": [100.0, 100.0, 100.0, 100.4, np.nan],
         "predios_morosos": [3, 2, 4, 1, np.nan],
         "mora_pct": [10.0, 20.0, 40.0, 80.0, np.nan],
         "mora_pct_2025_01": [12.0, 25.0, 50.0, 90.0, np.nan],
         "mora_pct_2024_12": [8.0, 15.0, 30.0, 70.0, np.nan],
         "contribuyente": [NOMBRE] * 5},
        geometry=[_b(a, -60, b, 110) for a, b in franjas], crs=CRS)


def publicar(salida: Path, **kw) -> list[Path]:
    capas, predios, frentes, microrutas, arbitrios = distrito_de_prueba()
    return publicar_mapas(capas, predios, frentes, microrutas, arbitrios, TITULO, salida,
                          fecha=dt.date(2025, 1, 15), **kw)


def datos_incrustados(pagina: str) -> dict:
    m = re.search(r'<script type="application/json" id="catastro-datos">(.*?)</script>',
                  pagina, re.DOTALL)
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def salida(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("mapas")
    publicar(d, imprimir=True, mora=mora_de_prueba())
    return d


def test_escribe_un_html_por_tema_e_indice(salida):
    for nombre in PUBLICADOS + ["index.html"]:
        assert (salida / nombre).stat().st_size > 0, nombre
    indice = (salida / "index.html").read_text(encoding="utf-8")
    enlaces = re.findall(r'href="([^"]+\.html)"', indice)
    assert enlaces == PUBLICADOS
    assert "N° 466-2019-M.P.O." in indice and 'lang="es"' in indice


def test_devuelve_las_rutas_escritas(tmp_path):
    rutas = publicar(tmp_path)
    assert [r.name for r in rutas] == MAPAS + ["index.html"]
    assert all(r.exists() for r in rutas)
    assert not list(tmp_path.glob(".*"))  # ningún temporal de la escritura atómica


def test_sin_recursos_de_la_red(salida):
    externo = re.compile(r"<(script|link|img|iframe)\b[^>]*(src|href)\s*=\s*[\"']?(https?:)?//",
                         re.IGNORECASE)
    for nombre in PUBLICADOS + ["index.html"]:
        pagina = (salida / nombre).read_text(encoding="utf-8")
        assert not externo.search(pagina), nombre
        assert "cdn.jsdelivr" not in pagina and "code.jquery" not in pagina
        assert "@import" not in pagina
    pagina = (salida / "arbitrios.html").read_text(encoding="utf-8")
    assert "L.version" in pagina or 'version="1.9.4"' in pagina or "1.9.4" in pagina
    assert "function catastroMapa" in pagina


def test_html_malicioso_no_sale_como_html(salida):
    for nombre in MAPAS:
        pagina = (salida / nombre).read_text(encoding="utf-8")
        # ni el <script> de la dirección ni su cierre aparecen literales en la página…
        assert XSS not in pagina and XSS_CIERRE not in pagina
        assert pagina.count("</script>") == pagina.count("<script")
        # …pero los datos sí lo llevan, como texto
        direcciones = [f for c in datos_incrustados(pagina)["capas"] if c["id"] == "predios"
                       for f in c["filas"]]
        assert [XSS] in [[f[1]] for f in direcciones]
        assert XSS_CIERRE in {f[1] for f in direcciones}


def test_llaves_de_plantilla_quedan_literales(salida):
    """Los datos no pasan por Jinja (branca): «{{ 7*7 }}» no se evalúa ni rompe la página."""
    for nombre in MAPAS:
        datos = datos_incrustados((salida / nombre).read_text(encoding="utf-8"))
        p = next(c for c in datos["capas"] if c["id"] == "predios")
        assert JINJA in {f[1] for f in p["filas"]}


def test_json_seguro_no_cierra_el_script():
    texto = json.dumps({"d": XSS_CIERRE + " & <!--"})
    seguro = json_seguro(texto)
    assert "<" not in seguro and ">" not in seguro and "&" not in seguro
    assert json.loads(seguro) == json.loads(texto)


def test_sin_datos_personales_por_defecto(salida):
    for nombre in PUBLICADOS + ["index.html"]:
        pagina = (salida / nombre).read_text(encoding="utf-8")
        for dato in (NOMBRE, DNI, "Müller Egg", "Contribuyente", "DNI/RUC"):
            assert dato not in pagina, (nombre, dato)


def test_datos_personales_solo_si_se_piden(tmp_path):
    publicar(tmp_path, incluir_datos_personales=True)
    pagina = (tmp_path / "parques-jardines.html").read_text(encoding="utf-8")
    assert NOMBRE in pagina and DNI in pagina and "Contribuyente" in pagina


def test_una_huella_por_edificio_y_todas_las_unidades(salida):
    _, predios, *_ = distrito_de_prueba()
    huellas = len({g.wkb for g in predios.geometry})  # independiente: WKB sin normalizar
    assert huellas == 6
    for nombre in MAPAS:
        datos = datos_incrustados((salida / nombre).read_text(encoding="utf-8"))
        p = next(c for c in datos["capas"] if c["id"] == "predios")
        assert len(p["geom"]) == huellas
        assert sorted(f[0] for f in p["filas"]) == sorted(predios["codigo"])
        assert p["buscable"]
        elementos = p["elemento"]
        cod = [f[0] for f in p["filas"]]
        assert elementos[cod.index("190301-01-001-002-A")] == \
            elementos[cod.index("190301-01-001-002-B")]


def test_popup_de_arbitrios_con_el_desglose(salida):
    datos = datos_incrustados((salida / "arbitrios.html").read_text(encoding="utf-8"))
    p = next(c for c in datos["capas"] if c["id"] == "predios")
    etiquetas = [c[0] for c in p["campos"]]
    for e in ("Código catastral", "Frontis", "Área construida", "Uso", "Zona de recolección",
              "Categoría de parques", "Barrido de calles (mes)", "Recolección de residuos (mes)",
              "Parques y jardines (mes)", "Serenazgo (mes)", "Exoneración (mes)",
              "Total mensual", "Total anual"):
        assert e in etiquetas, e
    fila = {f[0]: dict(zip(etiquetas, f)) for f in p["filas"]}
    assert fila["190301-01-001-002-A"]["Barrido de calles (mes)"] == 1.55  # venía como texto
    assert fila["190301-01-001-001"]["Total mensual"] == 14.6  # venía como Decimal
    assert fila["190301-01-001-005"]["Exoneración (mes)"] == 15.9
    assert fila["190301-09-001-001"]["Total mensual"] is None  # sin cálculo


def test_predio_sin_arbitrios_conserva_su_zona(salida):
    """El lote de la zona B no tiene fila de arbitrios: sigue en la zona B en su mapa."""
    datos = datos_incrustados((salida / "zonas-recoleccion.html").read_text(encoding="utf-8"))
    p = next(c for c in datos["capas"] if c["id"] == "predios")
    j = [f[0] for f in p["filas"]].index("190301-09-001-001")
    clase = p["clase"][p["elemento"][j]]
    assert p["leyenda"][clase][0] == "Zona B"
    assert p["filas"][j][[c[0] for c in p["campos"]].index("Zona de recolección")] == "B"


def test_clases_del_total_mensual_en_soles(salida):
    datos = datos_incrustados((salida / "arbitrios.html").read_text(encoding="utf-8"))
    p = next(c for c in datos["capas"] if c["id"] == "predios")
    assert all(e[0].startswith("S/ ") for e in p["leyenda"][:-1])
    assert p["leyenda"][-1][0] == "Sin dato"
    # la huella en propiedad horizontal suma sus dos unidades: 13.05 + 13.05 = 26.10
    assert "S/ 26.10" in p["leyenda"][-2][0]


def test_por_intervalos_cuantiles():
    clase, clases = por_intervalos(np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.nan]), k=5)
    assert clase.tolist() == [0, 1, 2, 3, 4, -1]
    # cuantiles lineales de 1…5: 1.8, 2.6, 3.4, 4.2, 5.0
    assert [c.etiqueta for c in clases] == [
        "S/ 1.00 – S/ 1.80", "S/ 1.80 – S/ 2.60", "S/ 2.60 – S/ 3.40", "S/ 3.40 – S/ 4.20",
        "S/ 4.20 – S/ 5.00"]
    clase, clases = por_intervalos(np.array([7.0, 7.0, 7.0]))
    assert clase.tolist() == [0, 0, 0] and len(clases) == 1


def test_numero_acepta_decimal_texto_y_float():
    s = pd.Series([Decimal("1.10"), "2.5", 3.0, None, "", "x"], dtype=object)
    assert numero(s).tolist()[:3] == [1.1, 2.5, 3.0]
    assert numero(s).isna().tolist()[3:] == [True, True, True]


def test_micro_rutas_sin_geometria_se_dibujan_con_las_vias(salida):
    datos = datos_incrustados((salida / "sectores-barrido.html").read_text(encoding="utf-8"))
    rutas = next(c for c in datos["capas"] if c["id"] == "microrutas")
    assert len(rutas["geom"]) == 3
    assert [c[0] for c in rutas["campos"]] == [
        "Vía", "Cuadra", "Sector de barrido", "Longitud (ml)", "Frecuencia (días por semana)",
        "Metros lineales por semana"]
    assert ["Jr. Bolognesi", 1, "2", 70.0, 3, 210.0] in rutas["filas"]


def test_coordenadas_en_grados_con_seis_decimales(salida):
    datos = datos_incrustados((salida / "zonas-recoleccion.html").read_text(encoding="utf-8"))
    for capa in datos["capas"]:
        for g in capa["geom"]:
            for x in re.findall(r"-?\d+\.\d+", json.dumps(g)):
                assert len(x.split(".")[1]) <= 6
    p = next(c for c in datos["capas"] if c["id"] == "predios")
    x, y = p["geom"][0]["coordinates"][0][0]
    assert -76 < x < -75 and -11 < y < -10  # UTM 18S cerca de Oxapampa → grados


def test_sin_arbitrios_no_hay_mapa_de_arbitrios(tmp_path):
    capas, predios, frentes, microrutas, _ = distrito_de_prueba()
    rutas = publicar_mapas(capas, predios, frentes, microrutas, None, TITULO, tmp_path)
    assert "arbitrios.html" not in [r.name for r in rutas]
    assert "arbitrios.html" not in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_crs_distintos_se_rechazan_diciendo_ambos(tmp_path):
    capas, predios, frentes, microrutas, arbitrios = distrito_de_prueba()
    capas["vias"] = capas["vias"].to_crs("EPSG:32717")
    with pytest.raises(ErrorCRS, match="EPSG:32717.*EPSG:32718"):
        publicar_mapas(capas, predios, frentes, microrutas, arbitrios, TITULO, tmp_path)


def test_tamano_razonable(salida):
    for nombre in PUBLICADOS:
        # Leaflet + mapa.js ≈ 180 kB; los datos de juguete, pocos kB
        assert (salida / nombre).stat().st_size < 400_000, nombre


# ---------------------------------------------------------------- mora por barrio

# cuantiles lineales de 10, 20, 40, 80 (posición (n − 1)·q): 17.5, 30, 50 y 80
LEYENDA_MORA = ["10.00 % – 17.50 %", "17.50 % – 30.00 %", "30.00 % – 50.00 %",
                "50.00 % – 80.00 %"]


def test_tema_mora_clases_y_leyenda_en_porcentaje():
    capas, *_ = distrito_de_prueba()
    tema = tema_mora(capas, mora_de_prueba())
    assert tema.archivo == MORA and tema.titulo == "Mora por barrio"
    assert "dic. 2024 a ene. 2025" in tema.descripcion
    assert [c.id for c in tema.capas] == ["distrito", "barrios"]
    barrios = tema.capas[-1]
    assert barrios.clase.tolist() == [0, 1, 2, 3, -1]  # el último, sin cuotas vencidas
    assert [c.etiqueta for c in barrios.clases] == LEYENDA_MORA
    colores = barrios.color_de()
    assert len(set(colores[:4])) == 4 and colores[4] == "#b0b0b0"
    # la lámina no tiene popups: el rótulo lleva el barrio y su mora
    assert barrios.rotulos.tolist() == ["Centro\n10.00 %", f"{XSS}\n20.00 %",
                                        "San Martín\n40.00 %", "Chacos\n80.00 %", "La Florida"]


def test_mapa_de_mora_popup_tooltip_y_escape(salida):
    pagina = (salida / MORA).read_text(encoding="utf-8")
    assert XSS not in pagina and pagina.count("</script>") == pagina.count("<script")
    datos = datos_incrustados(pagina)
    assert datos["titulo"] == "Mora por barrio"
    b = next(c for c in datos["capas"] if c["id"] == "barrios")
    assert len(b["geom"]) == len(b["filas"]) == 5 and b["elemento"] is None
    assert [e[0] for e in b["leyenda"]] == [*LEYENDA_MORA, "Sin dato"]
    assert b["clase"] == [0, 1, 2, 3, -1]
    # el primero es el del tooltip; los meses, en orden y en %
    assert b["campos"] == [
        ["Barrio", "texto"], ["Mora acumulada", "pct"], ["Emitido vencido", "soles"],
        ["Insoluto vencido", "soles"], ["Predios morosos", "entero"],
        ["Mora dic. 2024", "pct"], ["Mora ene. 2025", "pct"]]
    assert b["filas"][1] == [XSS, 20.0, 500.0, 100.0, 2, 15.0, 25.0]  # el nombre, como texto
    assert b["filas"][4] == ["La Florida", None, None, None, None, None, None]
    # sin datos personales ni predios: no hay buscador por código
    assert not b["buscable"] and NOMBRE not in pagina
    assert [c["id"] for c in datos["capas"]] == ["distrito", "barrios"]


def test_mapa_de_mora_en_el_indice(salida):
    indice = (salida / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{MORA}">Mora por barrio</a>' in indice
    assert "insoluto" in indice  # la descripción


def test_mora_en_otro_crs_o_sin_columnas_se_rechaza(tmp_path):
    with pytest.raises(ErrorCRS, match="'mora' está en EPSG:32717.*EPSG:32718"):
        publicar(tmp_path, mora=mora_de_prueba().to_crs("EPSG:32717"))
    with pytest.raises(ErrorDatos, match="no tiene las columnas mora_pct"):
        publicar(tmp_path, mora=mora_de_prueba().drop(columns="mora_pct"))
    assert not list(tmp_path.iterdir())  # nada escrito


# ---------------------------------------------------------------- láminas imprimibles

A3_PT = (420 / 25.4 * 72, 297 / 25.4 * 72)  # 1190.55 × 841.89 puntos


def _paginas_pdf(ruta: Path) -> list[tuple[float, float]]:
    """Tamaño (ancho, alto) en puntos de cada página, leído del PDF sin bibliotecas."""
    texto = ruta.read_bytes().decode("latin-1")
    return [tuple(float(v) for v in m.groups()) for m in
            re.finditer(r"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", texto)]


def test_laminas_a3_apaisadas(salida):
    for nombre in PUBLICADOS:
        pdf = salida / nombre.replace(".html", ".pdf")
        paginas = _paginas_pdf(pdf)
        assert len(paginas) == 1, pdf.name
        ancho, alto = paginas[0]
        assert ancho == pytest.approx(A3_PT[0], abs=1) and alto == pytest.approx(A3_PT[1], abs=1)
        png = pdf.with_suffix(".png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    anexo = _paginas_pdf(salida / "anexo-mapas.pdf")
    assert len(anexo) == len(PUBLICADOS)


def test_laminas_sin_datos_personales_y_enlazadas(salida):
    indice = (salida / "index.html").read_text(encoding="utf-8")
    assert "arbitrios.pdf" in indice and "anexo-mapas.pdf" in indice
    assert "mora-barrios.pdf" in indice and "mora-barrios.png" in indice
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) no está instalado: no se lee el texto del PDF")
    for pdf in salida.glob("*.pdf"):
        texto = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                               text=True, check=True).stdout
        texto = " ".join(texto.split())
        assert "Anexo – Ordenanza Municipal N° 466-2019-M.P.O." in texto
        assert "EPSG:32718" in texto and "Fecha: 15/01/2025" in texto
        assert NOMBRE not in texto and DNI not in texto and "Jr. Grau 101" not in texto


def test_lamina_de_detalle_si_el_distrito_es_mucho_mayor_que_la_zona_urbana(tmp_path):
    capas, predios, frentes, microrutas, arbitrios = distrito_de_prueba()
    capas["zona_urbana"] = capas["zona_urbana"].set_geometry([_b(0, 0, 20, 20)], crs=CRS)
    rutas = publicar_mapas(capas, predios, frentes, microrutas, arbitrios, TITULO, tmp_path,
                           imprimir=True)
    urbanas = sorted(r.name for r in rutas if r.stem.endswith("-urbano"))
    assert len(urbanas) == 2 * len(MAPAS) and "arbitrios-urbano.pdf" in urbanas
    assert _paginas_pdf(tmp_path / "arbitrios-urbano.pdf") == [pytest.approx(A3_PT, abs=1)]
    assert len(_paginas_pdf(tmp_path / "anexo-mapas.pdf")) == 2 * len(MAPAS)
    assert "arbitrios-urbano.pdf" in (tmp_path / "index.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- orden «catastro mapas»


def test_orden_mapas_agrega_la_mora_si_hay_cobranza(tmp_path, correr):
    almacen = escribir(capas_minimas(), tmp_path / "minimo.gpkg")
    rc, _, err = correr("mapas", almacen, "--salida", tmp_path / "sin")
    assert rc == 0, err
    assert not (tmp_path / "sin" / MORA).exists()  # sin cobranza, sin mapa de mora
    rc, _, err = correr("emitir", "--anio", "2020", "--mes", "1", "--usuario", "ana",
                        "--capas", almacen)
    assert rc == 0, err
    rc, out, err = correr("mapas", almacen, "--salida", tmp_path / "con")
    assert rc == 0, err
    assert MORA in out
    datos = datos_incrustados((tmp_path / "con" / MORA).read_text(encoding="utf-8"))
    b = next(c for c in datos["capas"] if c["id"] == "barrios")
    # nadie pagó la cuota de enero de 2020 (vencida hace mucho): mora del 100 %
    assert [f[:2] for f in b["filas"]] == [["Centro", 100.0]]
    assert ["Mora ene. 2020", "pct"] in b["campos"]
    assert MORA in (tmp_path / "con" / "index.html").read_text(encoding="utf-8")


def test_nunca_publica_columnas_personales_sin_pedirlo():
    """La guarda es una comprobación real (no un assert que python -O quitaría)."""
    from geo.esquema import exigir_sin_personales

    exigir_sin_personales(["codigo", "uso"], "El mapa")  # sin personales: pasa
    with pytest.raises(RuntimeError, match="contribuyente, documento"):
        exigir_sin_personales(["codigo", "documento", "contribuyente"], "El mapa")

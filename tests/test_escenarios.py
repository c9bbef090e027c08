"""Escenarios de micro-rutas: un distrito dibujado a mano con montos calculados a mano.

Una manzana x 0–40, y 0–20 (relativo a X0, Y0) partida en dos filas de 4 lotes de 10 × 10 m:
N1–N4 dan al Jr. A (eje y = 25, ancho 10 m) y S1–S4 al Jr. B (eje y = -5). Cada lote tiene
10 m de frontis (sus linderos laterales no dan a ninguna vía). Los dos ejes miden 120 m.
Sector 1 (y > 5, el Jr. A) a 6 días por semana y sector 2 (y < 5, el Jr. B) a 3.

Con C = costo anual del barrido, la tasa anual por ml de un sector es
C × frecuencia / Σ(frontis × frecuencia) (Cuadro 10), y el arbitrio mensual de un lote,
10 ml × tasa / 12, redondeado al céntimo.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import geopandas as gpd
import pytest
from conftest import CRS, X0, Y0, capas_minimas, escribir
from shapely.geometry import LineString, box

from geo.errores import ErrorOrdenanza
from geo.escenarios import (
    clases_diferencia,
    comparar_escenarios,
    frecuencias_efectivas,
    repartir_barrenderos,
)
from geo.ordenanza import RUTA_POR_DEFECTO, SectorBarrido, cargar_ordenanza, validar_datos

NORTE = [f"N{i}" for i in range(1, 5)]
SUR = [f"S{i}" for i in range(1, 5)]


def b(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def distrito(frec_1=6, frec_2=3, limite_y=5.0, sector_jr_a=None):
    capas = capas_minimas()
    n = 8
    capas["predios"] = gpd.GeoDataFrame(
        {"codigo": NORTE + SUR, "uso": [1] * n, "area_terreno_m2": [100.0] * n,
         "area_construida_m2": [80.0] * n, "condicion": [None] * n,
         "direccion": [f"Lote {c}" for c in NORTE + SUR], "contribuyente": ["X"] * n},
        geometry=[b(x, 10, x + 10, 20) for x in range(0, 40, 10)]
        + [b(x, 0, x + 10, 10) for x in range(0, 40, 10)], crs=CRS)
    capas["vias"] = gpd.GeoDataFrame(
        {"nombre": ["Jr. A", "Jr. B"], "tipo": ["jiron", "jiron"], "cuadra": [1, 1],
         "ancho_m": [10.0, 10.0], "sector": [sector_jr_a, None]},
        geometry=[LineString([(X0 - 10, Y0 + 25), (X0 + 110, Y0 + 25)]),
                  LineString([(X0 - 10, Y0 - 5), (X0 + 110, Y0 - 5)])], crs=CRS)
    capas["sectores_barrido"] = gpd.GeoDataFrame(
        {"sector": ["1", "2"], "frecuencia_semanal": [frec_1, frec_2]},
        geometry=[b(-50, limite_y, 150, 100), b(-50, -50, 150, limite_y)], crs=CRS)
    return capas


@pytest.fixture(scope="module")
def ordenanza():
    o = cargar_ordenanza()
    return replace(o, barrido=replace(o.barrido, sectores=(SectorBarrido("1", 6),
                                                           SectorBarrido("2", 3))))


@pytest.fixture(scope="module")
def calle_movida(ordenanza):
    return comparar_escenarios(distrito(), distrito(sector_jr_a="2"), ordenanza)


def mensual(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def fees(comp, lado: str) -> dict[str, Decimal]:
    t = comp.barrido_por_predio.set_index("codigo")
    return {c: t.at[c, lado] for c in NORTE + SUR}


def test_calle_pasa_del_sector_1_al_2(ordenanza, calle_movida):
    """El Jr. A pasa al sector 2 (3 días): los lotes del norte pagan menos y los del sur más.

    Base: Σ(frontis × frec) = 40·6 + 40·3 = 360 → norte 10·C·6/360/12 = C/72, sur C/144.
    Escenario: todo en el sector 2: Σ = 80·3 = 240 → cada lote 10·C·3/240/12 = C/96.
    """
    C = ordenanza.barrido.costo.total
    comp = calle_movida
    antes, despues = fees(comp, "antes"), fees(comp, "despues")
    for c in NORTE:
        assert antes[c] == mensual(C / 72) and despues[c] == mensual(C / 96)
    for c in SUR:
        assert antes[c] == mensual(C / 144) and despues[c] == mensual(C / 96)
    t = comp.barrido_por_predio.set_index("codigo")
    assert t.at["N1", "diferencia"] == mensual(C / 96) - mensual(C / 72)
    assert t.at["N1", "sector_antes"] == "1" and t.at["N1", "sector_despues"] == "2"
    assert comp.conteos == {"pagan_mas": 4, "pagan_menos": 4, "igual": 0, "sin_barrido": 0}
    c10 = comp.cuadro_09_10.set_index("sector")
    assert c10.at["1", "ponderado_ml_base"] == 240 and c10.at["2", "ponderado_ml_base"] == 120
    assert c10.at["1", "predios_escenario"] is None  # el sector 1 queda sin frontis
    assert c10.at["2", "ponderado_ml_escenario"] == 240
    assert c10.at["2", "costo_relativo_escenario"] == C
    # Cuadro 05 y carga: 12 barrenderos repartidos por ml (120 y 120 → 6 y 6)
    c05 = comp.cuadro_05.set_index("sector")
    assert c05.at["2", "ml_diario_base"] == 120 and c05.at["2", "ml_diario_escenario"] == 240
    assert c05.at["2", "ml_semanal_escenario"] == 720
    assert comp.barrenderos == {"1": 6, "2": 6}
    assert c05.at["2", "ml_dia_por_barrendero_escenario"] == 40
    assert "proporción" in comp.reparto_barrenderos
    texto = comp.resumen()
    assert "pagan más: 4 predios" in texto and "pagan menos: 4 predios" in texto


def test_mover_el_limite_da_lo_mismo_que_la_columna_sector(ordenanza, calle_movida):
    """Correr el límite del sector 2 hasta y = 30 (el Jr. A queda dentro) equivale a poner
    sector = 2 en el Jr. A."""
    por_via = calle_movida
    por_limite = comparar_escenarios(distrito(), distrito(limite_y=30.0), ordenanza)
    a = por_via.barrido_por_predio[["codigo", "antes", "despues", "diferencia"]]
    assert a.equals(por_limite.barrido_por_predio[["codigo", "antes", "despues", "diferencia"]])


def test_frecuencia_de_6_a_3_reduce_a_la_mitad_el_ponderado(ordenanza):
    """La capa del escenario baja el sector 1 de 6 a 3 días: manda sobre la ordenanza (que dice
    6), el frontis ponderado del sector 1 pasa de 240 a 120 y todos pagan C/96."""
    C = ordenanza.barrido.costo.total
    comp = comparar_escenarios(distrito(), distrito(frec_1=3), ordenanza)
    c10 = comp.cuadro_09_10.set_index("sector")
    assert c10.at["1", "ponderado_ml_base"] == 240 and c10.at["1", "ponderado_ml_escenario"] == 120
    assert c10.at["1", "ponderado_ml_diferencia"] == -120
    assert c10.at["1", "frecuencia_semanal_escenario"] == 3
    assert set(fees(comp, "despues").values()) == {mensual(C / 96)}
    c05 = comp.cuadro_05.set_index("sector")
    assert c05.at["1", "ml_semanal_base"] == 720 and c05.at["1", "ml_semanal_escenario"] == 360
    assert comp.conteos["pagan_menos"] == 4 and comp.conteos["pagan_mas"] == 4


def test_capa_base_desactualizada_no_cuenta_como_cambio(ordenanza):
    """Si la capa base dice 5 días para el sector 2 (la ordenanza dice 3) y el escenario no la
    toca, no hay cambio: en ambos se cobra con 3, y se avisa."""
    base, esc, avisos = frecuencias_efectivas(ordenanza, {"1": 6, "2": 5}, {"1": 6, "2": 5})
    assert base == esc == {"1": 6, "2": 3}
    assert avisos and "capa base dice 5" in avisos[0]
    comp = comparar_escenarios(distrito(frec_2=5), distrito(frec_2=5), ordenanza)
    assert comp.conteos["igual"] == 8 and comp.conteos["pagan_mas"] == 0


def test_barrenderos_por_sector_de_la_ordenanza(ordenanza):
    o = replace(ordenanza, barrido=replace(ordenanza.barrido, sectores=(
        SectorBarrido("1", 6, 4), SectorBarrido("2", 3, 2))))
    comp = comparar_escenarios(distrito(), distrito(), o)
    c05 = comp.cuadro_05.set_index("sector")
    assert comp.barrenderos == {"1": 4, "2": 2}
    assert c05.at["1", "ml_dia_por_barrendero_base"] == 30
    assert c05.at["2", "ml_dia_por_barrendero_base"] == 60
    assert c05.at["2", "ml_semana_por_barrendero_base"] == 180
    # mayor resto: 12 por 100/50/50 ml → 6/3/3; 10 por 1/1/1 → 4/3/3
    sin = replace(ordenanza, barrido=replace(ordenanza.barrido, barrenderos=10))
    assert repartir_barrenderos(sin, {"1": Decimal(1), "2": Decimal(1), "3": Decimal(1)})[0] \
        == {"1": 4, "2": 3, "3": 3}


def test_ordenanza_barrenderos_opcional():
    assert cargar_ordenanza().barrido.barrenderos == 12
    with open(RUTA_POR_DEFECTO, "rb") as f:
        datos = tomllib.load(f, parse_float=Decimal)
    del datos["barrido"]["barrenderos"]
    datos["barrido"]["sectores"][0]["barrenderos"] = 3
    o = validar_datos(datos)
    assert o.barrido.barrenderos is None
    assert [s.barrenderos for s in o.barrido.sectores] == [3, None, None, None]
    datos["barrido"]["sectores"][1]["barrenderos"] = -1
    with pytest.raises(ErrorOrdenanza, match=r"sectores\[1\]\.barrenderos"):
        validar_datos(datos)


def test_clases_divergentes():
    import numpy as np

    clase, clases = clases_diferencia(np.array([-9.0, -1.0, 0.0, 2.0, 9.0, np.nan]))
    etiquetas = [c.etiqueta for c in clases]
    assert etiquetas[len(etiquetas) // 2] == "Sin cambio"
    assert clase[2] == len(etiquetas) // 2 and clase[-1] == -1
    assert clase[0] < clase[1] < clase[2] < clase[3] < clase[4]
    assert etiquetas[clase[0]].startswith("Paga menos") and etiquetas[clase[4]].startswith("Paga más")


def test_cli_escenario(tmp_path, correr):
    base = escribir(distrito(), tmp_path / "base.gpkg")
    plan = escribir(distrito(sector_jr_a="2"), tmp_path / "plan.gpkg")
    # la ordenanza con el sector 2 a 3 días, como la capa
    texto = RUTA_POR_DEFECTO.read_text(encoding="utf-8")
    viejo = 'sector = "2"\nfrecuencia_semanal = 6'
    assert viejo in texto
    toml = tmp_path / "ordenanza.toml"
    toml.write_text(texto.replace(viejo, 'sector = "2"\nfrecuencia_semanal = 3'),
                    encoding="utf-8")
    salida = tmp_path / "salida"
    rc, out, err = correr("escenario", base, plan, "--salida", salida, "--ordenanza", toml)
    assert rc == 0, err
    assert "pagan más: 4 predios" in out and "Barrenderos" in out
    for nombre in ("cuadro_05_comparado.csv", "cuadros_01_04_comparado.csv",
                   "cuadro_09_10_comparado.csv", "barrido_por_predio.csv",
                   "mapa_diferencias.html"):
        assert (salida / nombre).exists(), nombre
    filas = (salida / "barrido_por_predio.csv").read_text(encoding="utf-8-sig").splitlines()
    assert filas[0].startswith("codigo,") and ",antes,despues,diferencia" in filas[0]
    html = (salida / "mapa_diferencias.html").read_text(encoding="utf-8")
    assert "Paga más" in html and "Sin cambio" in html
    externos = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?"
                          r"\s*(?:https?:)?//", html, re.IGNORECASE)
    assert externos == []  # Leaflet va incrustado: el mapa se abre sin red

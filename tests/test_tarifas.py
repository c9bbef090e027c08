"""Modo catastro: arbitrios por predio con una ordenanza de juguete calculada a mano.

Ordenanza de prueba (números redondos para poder seguir las cuentas):

* barrido: costo 1,200; sector 1 barre 6 días/semana, sector 2, 3 días.
* recolección: costo 1,000; zona A genera 3 t/día y zona B 1 t/día; kg/predio/día: zona A uso 1
  = 2, uso 2 = 4; zona B uso 1 = 1.
* parques: costo 600; ámbito = predios de la zona A; índice A = 1.5, B = 1.0.
* serenazgo: costo 900; incidencias uso 1 = 2, uso 2 = 1, uso 7 = 0; una zona de índice 1.
* exoneraciones: municipalidad 100 %; educación privada 20 %; PNP 50 % barrido y recolección,
  100 % parques y serenazgo. Terreno sin construir (uso 7, 0 m²) no afecto a recolección/parques.

Catastro (U1 y U2 son unidades en propiedad horizontal del predio matriz M, cada una con su
tramo de frontis ya prorrateado):

| predio | uso | condición         | m²  | zona | categ. | frentes (sector: ml) |
| P1     | 1   |                   | 100 | A    | A      | 1: 10                |
| P2     | 2   | educacion_privada | 50  | A    | B      | 1: 20                |
| U1     | 1   |                   | 50  | A    | B      | 2: 10                |
| U2     | 1   |                   | 50  | A    | B      | 2: 10                |
| P5     | 7   |                   | 0   | B    |        | —                    |
| P6     | 1   | municipalidad     | 40  | B    |        | —                    |
"""

from __future__ import annotations

import re
from decimal import Decimal as D
from decimal import localcontext

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errores import ErrorDatos
from geo.ordenanza import validar_datos
from geo.tarifas import calcular_tarifas, escribir_salidas, formatear_conciliacion, liquidacion
from geo.tarifas.dinero import por_valor, redondear

CERO = D(0)


def _ordenanza_dict():
    pct = lambda b, r, p, s: {"barrido": b, "recoleccion": r, "parques": p, "serenazgo": s}  # noqa: E731
    return {
        "meta": {"municipalidad": "Municipalidad de Prueba", "ejercicio": 2030,
                 "ordenanza": "Ordenanza de prueba"},
        "exoneraciones": {
            "municipalidad": {"tipo": "inafectacion", "articulo": "7.1", "porcentaje": pct(100, 100, 100, 100)},
            "educacion_privada": {"tipo": "exoneracion", "articulo": "8.2", "porcentaje": pct(20, 20, 20, 20)},
            "pnp": {"tipo": "exoneracion", "articulo": "8.3", "porcentaje": pct(50, 50, 100, 100)},
        },
        "inafectaciones": {"terreno_sin_construir": {"articulo": "7.4", "usos": [7],
                                                     "area_construida_max_m2": 0,
                                                     "servicios": ["recoleccion", "parques"]}},
        "barrido": {"ambito": {"tipo": "frontis_en_sector"},
                    "costo": {"directos": D(1000), "indirectos": D(150), "fijos": D(50), "total": D(1200)},
                    "sectores": [{"sector": "1", "frecuencia_semanal": 6},
                                 {"sector": "2", "frecuencia_semanal": 3}]},
        "recoleccion": {"ambito": {"tipo": "zona_recoleccion", "zonas": ["A", "B"]},
                        "costo": {"directos": D(900), "indirectos": D(100), "fijos": D(0), "total": D(1000)},
                        "zonas": [{"zona": "A", "generacion_t_dia": D(3)},
                                  {"zona": "B", "generacion_t_dia": D(1)}],
                        "generacion_kg_predio_dia": {"A": {"1": D(2), "2": D(4), "7": 0},
                                                     "B": {"1": D(1), "7": 0}}},
        "parques": {"ambito": {"tipo": "zona_recoleccion", "zonas": ["A"]}, "umbral_cerca_m": 100,
                    "costo": {"directos": D(600), "indirectos": D(0), "fijos": D(0), "total": D(600)},
                    "categorias": [{"categoria": "A", "indice_disfrute": D("1.5")},
                                   {"categoria": "B", "indice_disfrute": D("1.0")}]},
        "serenazgo": {"ambito": {"tipo": "todos"},
                      "costo": {"directos": D(900), "indirectos": D(0), "fijos": D(0), "total": D(900)},
                      "incidencias_por_uso": {"1": 2, "2": 1, "7": 0},
                      "zonas": [{"zona": "1", "indice_peligrosidad": 1}]},
    }


@pytest.fixture(scope="module")
def ordenanza():
    return validar_datos(_ordenanza_dict(), "prueba.toml")


def _catastro():
    predios = pd.DataFrame([
        dict(codigo="P1", uso=1, condicion=None, area_construida_m2=100.0, frontis_m=10.0,
             categoria_parques="A", zona_recoleccion="A", sector_barrido="1"),
        dict(codigo="P2", uso=2, condicion="educacion_privada", area_construida_m2=50.0,
             frontis_m=20.0, categoria_parques="B", zona_recoleccion="A", sector_barrido="1"),
        dict(codigo="U1", uso=1, condicion=None, area_construida_m2=50.0, frontis_m=10.0,
             categoria_parques="B", zona_recoleccion="A", sector_barrido="2", predio_matriz="M",
             participacion=0.5),
        dict(codigo="U2", uso=1, condicion=None, area_construida_m2=50.0, frontis_m=10.0,
             categoria_parques="B", zona_recoleccion="A", sector_barrido="2", predio_matriz="M",
             participacion=0.5),
        dict(codigo="P5", uso=7, condicion=None, area_construida_m2=0.0, frontis_m=0.0,
             categoria_parques=None, zona_recoleccion="B", sector_barrido=None),
        dict(codigo="P6", uso=1, condicion="municipalidad", area_construida_m2=40.0,
             frontis_m=0.0, categoria_parques=None, zona_recoleccion="B", sector_barrido=None),
    ])
    frentes = pd.DataFrame([
        dict(codigo="P1", via="Jr. Uno", cuadra=1, sector_barrido="1", frecuencia_semanal=6, longitud_m=10.0),
        dict(codigo="P2", via="Jr. Uno", cuadra=2, sector_barrido="1", frecuencia_semanal=6, longitud_m=20.0),
        dict(codigo="U1", via="Jr. Dos", cuadra=1, sector_barrido="2", frecuencia_semanal=3, longitud_m=10.0),
        dict(codigo="U2", via="Jr. Dos", cuadra=1, sector_barrido="2", frecuencia_semanal=3, longitud_m=10.0),
    ])
    return predios, frentes


@pytest.fixture(scope="module")
def resultado(ordenanza):
    return calcular_tarifas(*_catastro(), ordenanza)


def _fila(r, codigo):
    return r.predios.set_index("codigo").loc[codigo]


def test_barrido_a_mano(resultado):
    # ponderado: sector 1 = 30 ml × 6 = 180; sector 2 = 20 ml × 3 = 60; total 240
    # sector 1: 1,200 × 180/240 = 900 → 900/30 = 30 S/ml año = 2.50 S/ml mes
    # sector 2: 300 → 300/20 = 15 S/ml año = 1.25 S/ml mes
    t = resultado.tasas["barrido"]
    assert t["1"][0] == 30 and t["2"][0] == 15
    assert _fila(resultado, "P1")["barrido_mensual"] == D("25.00")       # 10 × 2.50
    assert _fila(resultado, "P2")["barrido_mensual"] == D("40.00")       # 20 × 2.50 × 80 %
    assert _fila(resultado, "P2")["barrido_exonerado_mensual"] == D("10.00")
    assert _fila(resultado, "U1")["barrido_mensual"] == D("12.50")       # 10 × 1.25
    assert _fila(resultado, "P5")["barrido_mensual"] == 0


def test_recoleccion_a_mano(resultado):
    # zonas: A = 1,000 × 3/4 = 750; B = 250
    # zona A: uso 1 = 3 predios × 2 kg = 6 kg/día; uso 2 = 1 × 4 = 4 → 60 % / 40 %
    #   uso 1: 450 / 200 m² = 2.25 S/m² año = 0.1875 mes; uso 2: 300 / 50 = 6 → 0.50 mes
    # zona B: P5 (terreno sin construir) no afecto; P6 solo → 250 / 40 m² = 6.25 año
    t = resultado.tasas["recoleccion"]
    assert t[("A", 1)][0] == D("2.25") and t[("A", 2)][0] == 6 and t[("B", 1)][0] == D("6.25")
    assert _fila(resultado, "P1")["recoleccion_mensual"] == D("18.75")   # 100 × 0.1875
    assert _fila(resultado, "U1")["recoleccion_mensual"] == D("9.38")    # 9.375 → HALF-UP
    assert _fila(resultado, "P2")["recoleccion_mensual"] == D("20.00")   # 25 × 80 %
    assert _fila(resultado, "P5")["recoleccion_mensual"] == 0
    p6 = _fila(resultado, "P6")
    assert p6["recoleccion_mensual"] == 0 and p6["recoleccion_exonerado_anual"] == D("250.00")


def test_parques_a_mano(resultado):
    # ámbito zona A: A = 1 × 1.5; B = 3 × 1.0 → total 4.5
    # A: 600 × 1.5/4.5 = 200 por predio al año (16.67 mes); B: 400/3 = 133.33 (11.11 mes)
    assert _fila(resultado, "P1")["parques_mensual"] == D("16.67")
    assert _fila(resultado, "U1")["parques_mensual"] == D("11.11")
    assert _fila(resultado, "P2")["parques_mensual"] == D("8.89")        # 11.111 × 80 %
    assert _fila(resultado, "P6")["parques_mensual"] == 0                # zona B: fuera del ámbito
    c = resultado.conciliacion["parques"]
    # 200.00 + 3 × 133.33 (P2: 106.67 cobrado + 26.67 exonerado) = 599.99/600.01 → residuo ±0.01
    # 400/3 no tiene expresión decimal finita: la suma exacta difiere de 600 en el dígito 50
    with localcontext() as ctx:
        ctx.prec = 100
        assert abs(c["suma_exacta"] - 600) < D("1e-40")
    # residuo medido predio a predio: 200 + 4 × 133.33… → 4 × 0.00333… = 0.0133…
    assert abs(c["cobrado_anual"] + c["exonerado_anual"] + c["residuo_redondeo"] - 600) < D("1e-40")
    assert c["cuadra"] and abs(c["residuo_redondeo"]) <= D("0.02")


def test_serenazgo_a_mano(resultado):
    # incidencias 2:1 → uso 1 = 600 entre 4 predios (P1, U1, U2, P6) = 150 año (12.50 mes);
    # uso 2 = 300 / 1 predio = 25.00 mes (P2 paga 80 %); uso 7: 0 incidencias → 0
    assert _fila(resultado, "P1")["serenazgo_mensual"] == D("12.50")
    assert _fila(resultado, "P2")["serenazgo_mensual"] == D("20.00")
    assert _fila(resultado, "P5")["serenazgo_mensual"] == 0
    assert _fila(resultado, "P6")["serenazgo_exonerado_mensual"] == D("12.50")


def test_totales_y_conciliacion(resultado):
    p1 = _fila(resultado, "P1")
    assert p1["total_mensual"] == D("25.00") + D("18.75") + D("16.67") + D("12.50")
    assert p1["total_anual"] == D("300.00") + D("225.00") + D("200.00") + D("150.00")
    for s, c in resultado.conciliacion.items():
        assert c["costo_sin_distribuir"] == 0, s
        assert c["costo_distribuido"] == c["costo"], s
        assert abs(c["suma_exacta"] - c["costo"]) < D("1e-40"), s
        assert c["cuadra"], s
        assert abs(c["cobrado_anual"] + c["exonerado_anual"] + c["residuo_redondeo"]
                   - c["costo"]) < D("1e-40"), s


def test_unidades_en_propiedad_horizontal(resultado):
    u1, u2 = _fila(resultado, "U1"), _fila(resultado, "U2")
    assert u1["total_mensual"] == u2["total_mensual"]
    assert u1["predio_matriz"] == "M"


def test_liquidacion_legible(resultado):
    texto = liquidacion("P2", resultado)
    # barrido: 20 ml × (30 / 12 = 2.50 S/ml al mes) = 50.00; educación privada 20 % (Art. 8.2)
    assert ("Barrido de calles: frontis 20.00 ml (Jr. Uno cdra. 2, sector 1) × S/ 2.50000 por ml "
            "= S/ 50.00") in texto
    assert "Exoneración Art. 8.2: 20 % de S/ 50.00 = S/ 10.00 → a pagar S/ 50.00 − S/ 10.00 = S/ 40.00" in texto
    # recolección: 50 m² × (6 / 12 = 0.50 S/m² al mes) = 25.00
    assert "área construida 50.00 m² (zona A, uso 2 Comercial) × S/ 0.50000 por m² = S/ 25.00" in texto
    assert "TOTAL A PAGAR POR MES: S/ 40.00 + S/ 20.00 + S/ 8.89 + S/ 20.00 = S/ 88.89" in texto


_LINEA = re.compile(r"(?P<medida>[\d,]+\.\d+) (?:ml|m²)(?: \([^()]*\))? × S/ (?P<tasa>[\d,.]+) "
                    r"por (?:ml|m²) = S/ (?P<importe>[\d,.]+)")
_PREDIO = re.compile(r"1 predio \([^)]*\) × S/ (?P<tasa>[\d,.]+) por predio = S/ (?P<importe>[\d,.]+)")
_DESC = re.compile(r"(?P<pct>\d+) % de S/ (?P<imp>[\d,.]+) = S/ (?P<ex>[\d,.]+) → a pagar "
                   r"S/ (?P<a>[\d,.]+) − S/ (?P<b>[\d,.]+) = S/ (?P<neto>[\d,.]+)")
_TOTAL = re.compile(r"TOTAL A PAGAR (?:POR MES|EN EL AÑO): (?P<sumandos>.*) = S/ (?P<total>[\d,.]+)$")


def _d(x: str) -> D:
    return D(x.replace(",", ""))


def _mitad_arriba(x: D) -> D:
    from decimal import ROUND_HALF_UP
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("codigo", ["P1", "P2", "U1", "P5", "P6"])
def test_cada_linea_de_la_liquidacion_se_rehace_a_mano(resultado, codigo):
    """Cada cuenta impresa se rehace con las cifras impresas (independiente del motor)."""
    texto = liquidacion(codigo, resultado)
    cuentas = 0
    for linea in texto.splitlines():
        for rx in (_LINEA, _PREDIO):
            for m in rx.finditer(linea):
                medida = _d(m.group("medida")) if "medida" in m.groupdict() else D(1)
                assert _mitad_arriba(medida * _d(m.group("tasa"))) == _d(m.group("importe")), linea
                cuentas += 1
        for m in _DESC.finditer(linea):
            assert _mitad_arriba(_d(m.group("imp")) * int(m.group("pct")) / 100) == _d(m.group("ex"))
            assert _d(m.group("a")) - _d(m.group("b")) == _d(m.group("neto")), linea
            cuentas += 1
        m = _TOTAL.search(linea)
        if m:
            sumandos = [_d(x.strip().removeprefix("S/ ")) for x in m.group("sumandos").split("+")]
            assert sum(sumandos) == _d(m.group("total")), linea
            cuentas += 1
    assert cuentas >= 2


def test_liquidacion_de_codigo_desconocido(resultado):
    with pytest.raises(ErrorDatos, match="«NOEXISTE» no está en el catastro"):
        liquidacion("NOEXISTE", resultado)


def test_salidas(resultado, tmp_path):
    import json

    rutas = escribir_salidas(resultado, tmp_path)
    nombres = {p.name for p in rutas}
    esperados = {f"cuadro_{n}.csv" for n in ("09", "10", "11", "12", "19", "20", "21", "22", "23",
                                             "24", "25", "26", "31", "32", "33", "34", "47", "48")}
    assert {"arbitrios_predios.csv", "arbitrios_predios.xlsx", "resumen.json",
            "informe.html"} | esperados <= nombres
    csv = pd.read_csv(tmp_path / "arbitrios_predios.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns[:3]) == ["codigo", "uso", "zona_recoleccion"]
    assert csv.set_index("codigo").loc["P1", "total_mensual"] == "72.92"
    resumen = json.loads((tmp_path / "resumen.json").read_text(encoding="utf-8"))
    b = resumen["servicios"]["barrido"]
    assert b["costo"] == "1200.00" and b["costo_distribuido"] == "1200.00"
    assert b["cobrado_anual"] == "1080.00" and b["exonerado_anual"] == "120.00"  # P2: 20 % de 600
    assert b["residuo_redondeo"] == "0.00" and b["cuadra"] is True and resumen["conciliado"]
    html = (tmp_path / "informe.html").read_text(encoding="utf-8")
    assert "@media print" in html and "page-break" in html and "(d) = (b) × (c)" in html
    for n in ("09", "11", "12", "24", "25", "26", "31", "33", "34", "48"):
        assert f"Cuadro N° {n} " in html, n
    assert "(g) = Σ predio (d) × (e)" in html
    x = pd.read_excel(tmp_path / "arbitrios_predios.xlsx", dtype={"codigo": str})
    assert len(x) == 6 and list(x.columns) == list(csv.columns)
    assert x.set_index("codigo").loc["P1", "total_mensual"] == 72.92
    for c in x.columns:  # las mismas cifras y textos que el CSV
        if pd.api.types.is_numeric_dtype(x[c]):
            esperado = pd.to_numeric(csv[c].replace("", None)).to_numpy(dtype=float)
            np.testing.assert_array_equal(x[c].to_numpy(dtype=float), esperado, err_msg=c)
        else:
            assert x[c].fillna("").astype(str).tolist() == csv[c].tolist(), c
    hoja = openpyxl.load_workbook(tmp_path / "arbitrios_predios.xlsx")["arbitrios"]
    assert hoja.freeze_panes == "A2" and hoja["A1"].font.b
    total = hoja.cell(row=2, column=csv.columns.get_loc("total_mensual") + 1)
    assert total.number_format == "#,##0.00" and total.data_type == "n"
    assert hoja["A2"].data_type == "s" and hoja["A2"].number_format == "General"
    assert not list(tmp_path.glob(".*"))  # sin temporales


def test_xlsx_sigue_en_otra_hoja_si_no_cabe_en_una(resultado, tmp_path, monkeypatch):
    """Una hoja de Excel tiene 1 048 576 filas: las que no caben siguen en «arbitrios_2», con
    su cabecera; ninguna se pierde."""
    import geo.tarifas.salidas as S

    monkeypatch.setattr(S, "FILAS_POR_HOJA", 4)
    escribir_salidas(resultado, tmp_path)
    hojas = pd.read_excel(tmp_path / "arbitrios_predios.xlsx", sheet_name=None,
                          dtype={"codigo": str})
    assert list(hojas) == ["arbitrios", "arbitrios_2"]
    assert [len(h) for h in hojas.values()] == [4, 2]
    csv = pd.read_csv(tmp_path / "arbitrios_predios.csv", dtype=str)
    assert pd.concat(hojas.values())["codigo"].tolist() == csv["codigo"].tolist()


def test_por_valor_calcula_una_vez_por_combinacion():
    # montos repetidos (Decimal('1.0') y Decimal('1.00') son el mismo valor), faltantes y un
    # porcentaje por fila: el resultado es el de la lista por comprensión, fila por fila
    montos = [D("10.005"), D("1.0"), D("1.00"), None, D("10.005"), D("7.125"), D("NaN"),
              D("7.125")]
    pct = [D(50), D(0), D(0), D(50), D(50), D(100), D(0), D("100.0")]
    llamadas = []

    def f(x, p):
        llamadas.append((x, p))
        return redondear(x) - redondear(redondear(x) * p / 100)

    esperado = [D("5.00"), D("1.00"), D("1.00"), D("0.00"), D("5.00"), D("0.00"), None,
                D("0.00")]
    res = list(por_valor(f, pd.Series(montos, dtype=object), pct))
    assert [str(r) for r in res[:6]] == [str(e) for e in esperado[:6]]
    assert res[6].is_nan() and str(res[7]) == "0.00"
    # 10.005/50, 1.0/0, 7.125/100 una vez cada una; None y NaN, una vez cada fila
    assert len(llamadas) == 5
    assert list(por_valor(f, [], [])) == []


def test_sumar_por_como_groupby():
    from geo.tarifas.motor import _sumar_por

    claves = pd.Series(["B", "A", "B", "C", "B"], dtype="str")
    montos = pd.Series([D("0.1"), D(2), D("0.2"), D("3.30"), D("0.25")], dtype=object)
    assert _sumar_por(claves, montos) == {"A": D(2), "B": D("0.55"), "C": D("3.3")}


def test_conciliacion_en_texto(resultado):
    texto = formatear_conciliacion(resultado)
    lineas = texto.splitlines()
    assert "Σ cuotas cobradas" in lineas[1] and "Residuo de redondeo" in lineas[1]
    barrido = next(x for x in lineas if x.startswith("Barrido de calles"))
    assert barrido.split()[-6:] == ["1,200.00", "1,080.00", "120.00", "0.00", "0.00", "✓"]
    assert len({len(x) for x in lineas[1:3]}) == 1  # columnas alineadas
    assert lineas[-1].startswith("Total") and lineas[-1].endswith("✓")


def _exonerado_por_servicio(r, servicio, **filtro):
    R = r.predios
    sel = pd.Series(True, index=R.index)
    for k, v in filtro.items():
        sel &= R[k] == v
    return sum(R.loc[sel, f"{servicio}_exonerado_anual"], CERO)


def _cuadros_de_exonerados_cuadran(r):
    for numero, servicio in (("11", "barrido"), ("24", "recoleccion"), ("33", "parques"),
                             ("48", "serenazgo")):
        if numero not in r.cuadros:
            continue
        c = r.cuadros[numero]
        total = _exonerado_por_servicio(r, servicio)
        assert c.totales["exonerar_anual"] == total == r.conciliacion[servicio]["exonerado_anual"]
        assert sum((f["exonerar_anual"] for f in c.filas), CERO) == total
        assert sum(f["predios"] for f in c.filas) == int(
            ((r.predios[f"{servicio}_exonerado_anual"] > 0)
             | ((r.predios[f"{servicio}_porcentaje_exonerado"] > 0)
                & (r.predios[f"{servicio}_importe_anual"] > 0))).sum())


def test_cuadros_de_exonerados_e_ingresos(resultado):
    r = resultado
    _cuadros_de_exonerados_cuadran(r)
    # Cuadro 33 a mano: P2 (educación privada, categoría B) 20 % de 133.33 = 26.67
    c33 = r.cuadros["33"]
    assert [(f["categoria_parques"], f["predios"], f["exonerar_anual"]) for f in c33.filas] == [
        ("B", 1, D("26.67"))]
    # Cuadro 24: P2 (zona A, uso 2) 20 % de 300 y P6 (zona B, uso 1) 100 % de 250
    c24 = r.cuadros["24"]
    assert [(f["zona_recoleccion"], f["uso"], f["exonerar_anual"]) for f in c24.filas] == [
        ("A", 2, D("60.00")), ("B", 1, D("250.00"))]
    # Cuadros 25/26: exonerado por uso = lo del Cuadro 24; proyectado = ingreso − exonerado
    c25, c26 = r.cuadros["25"], r.cuadros["26"]
    assert {f["uso"]: f["exonerado"] for f in c25.filas} == {1: 0, 2: D("60.00")}
    assert c25.totales["ingreso_anual"] == 750 and c25.totales["proyectado"] == 690
    assert c26.totales["exonerado"] == 250 and c26.totales["proyectado"] == 0
    # Cuadro 12: exonerado total del servicio; 09 = frontis por sector
    assert r.cuadros["12"].totales["exonerado"] == D("120.00")
    assert [(f["sector"], f["frontis_ml"], f["ponderado_ml"]) for f in r.cuadros["09"].filas] == [
        ("1", 30, 180), ("2", 20, 60)]
    # 20/22 separan generación y tasas
    assert "tasa_anual_m2" not in r.cuadros["20"].filas[0]
    assert r.cuadros["22"].filas[0]["tasa_anual_m2"] == D("2.25")
    assert [f["indice_disfrute"] for f in r.cuadros["31"].filas] == [D("1.5"), D("1.0")]
    assert "05" not in r.cuadros  # sin micro-rutas


def test_cuadro_05_con_microrutas(ordenanza):
    rutas = pd.DataFrame([
        dict(sector="1", via="Jr. Uno", cuadra=1, longitud_ml=100.0, frecuencia_semanal=6, ml_semanal=600.0),
        dict(sector="1", via="Jr. Uno", cuadra=2, longitud_ml=50.5, frecuencia_semanal=6, ml_semanal=303.0),
        dict(sector="2", via="Jr. Dos", cuadra=1, longitud_ml=80.0, frecuencia_semanal=3, ml_semanal=240.0),
    ])
    r = calcular_tarifas(*_catastro(), ordenanza, microrutas=rutas)
    c = r.cuadros["05"]
    assert [(f["sector"], f["cuadras"], f["ml_diario"], f["ml_semanal"]) for f in c.filas] == [
        ("1", 2, D("150.5"), D("903.0")), ("2", 1, D("80.0"), D("240.0"))]
    assert c.totales["ml_semanal"] == D("1143.0")
    # no cambia ningún monto
    r0 = calcular_tarifas(*_catastro(), ordenanza)
    assert list(r.predios["total_anual"]) == list(r0.predios["total_anual"])


def test_avisos_sin_duplicar_en_el_log(ordenanza, caplog):
    predios, frentes = _catastro()
    f2 = pd.concat([frentes, pd.DataFrame([dict(codigo="P1", via="Jr. Tres", cuadra=1,
                                                sector_barrido=None, longitud_m=5.0)])])
    with caplog.at_level("INFO", logger="geo.tarifas.motor"):
        r = calcular_tarifas(predios, f2, ordenanza)
    assert any("frentes fuera de los sectores de barrido" in a for a in r.avisos)
    assert not [x for x in caplog.records if x.levelname == "WARNING"]


def test_aviso_de_frontis_confirmado_sin_sector(ordenanza):
    # P6 no tiene frontis derivado; en campo se le confirmaron 6 m, en un trozo sin vía ni
    # sector: no paga barrido, y el aviso dice cuál es y qué hacer
    predios, frentes = _catastro()
    frentes = frentes.assign(frontis_fuente="derivado")
    extra = pd.DataFrame([dict(codigo="P6", via=None, cuadra=None, sector_barrido=None,
                               frecuencia_semanal=None, longitud_m=6.0,
                               frontis_fuente="confirmado")])
    r = calcular_tarifas(predios, pd.concat([frentes, extra], ignore_index=True), ordenanza)
    aviso = [a for a in r.avisos if "frontis confirmado" in a]
    assert len(aviso) == 1 and aviso[0].startswith("1 predio con frontis") and "(P6)" in aviso[0]
    assert "capa de vías" in aviso[0]
    assert _fila(r, "P6")["barrido_anual"] == 0
    # sin confirmados no aparece
    r0 = calcular_tarifas(predios, frentes, ordenanza)
    assert not [a for a in r0.avisos if "frontis confirmado" in a]


def test_datos_invalidos(ordenanza):
    predios, frentes = _catastro()
    malo = predios.copy()
    malo.loc[0, "uso"] = 11
    with pytest.raises(ErrorDatos, match="uso fuera de 1–10"):
        calcular_tarifas(malo, frentes, ordenanza)
    with pytest.raises(ErrorDatos, match="repetidos"):
        calcular_tarifas(pd.concat([predios, predios.iloc[:1]]), frentes, ordenanza)
    f_malo = frentes.copy()
    f_malo.loc[1, "longitud_m"] = -1.0
    with pytest.raises(ErrorDatos, match="longitud_m vacía o negativa en los frentes de los predios P2"):
        calcular_tarifas(predios, f_malo, ordenanza)


# ---------------------------------------------------------------------------------------------
# propiedades
# ---------------------------------------------------------------------------------------------

CONDS = [None, None, None, "municipalidad", "educacion_privada", "pnp"]


@st.composite
def catastros(draw):
    n = draw(st.integers(3, 10))
    filas, frentes = [], []
    for i in range(n):
        uso = draw(st.sampled_from([1, 1, 2, 7]))
        area = 0.0 if uso == 7 and draw(st.booleans()) else draw(
            st.floats(1, 500, allow_nan=False).map(lambda x: round(x, 2)))
        filas.append(dict(codigo=f"P{i}", uso=uso, condicion=draw(st.sampled_from(CONDS)),
                          area_construida_m2=area, frontis_m=0.0,
                          categoria_parques=draw(st.sampled_from(["A", "B", None])),
                          zona_recoleccion=draw(st.sampled_from(["A", "B", None])),
                          sector_barrido=None))
        for _ in range(draw(st.integers(0, 2))):
            frentes.append(dict(codigo=f"P{i}", via="V", cuadra=1,
                                sector_barrido=draw(st.sampled_from(["1", "2", None])),
                                frecuencia_semanal=None,
                                longitud_m=draw(st.floats(0.5, 40).map(lambda x: round(x, 2)))))
    if not frentes:
        frentes.append(dict(codigo="P0", via="V", cuadra=1, sector_barrido="1",
                            frecuencia_semanal=None, longitud_m=5.0))
    return pd.DataFrame(filas), pd.DataFrame(frentes)


PROPS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(catastros())
def test_conciliacion_y_no_negativos(ordenanza, cat):
    r = calcular_tarifas(*cat, ordenanza)
    n = len(r.predios)
    for s, c in r.conciliacion.items():
        # por construcción la suma de los montos SIN redondear es exactamente el costo distribuido
        assert abs(c["suma_exacta"] - c["costo_distribuido"]) < D("1e-30"), s
        assert c["costo_distribuido"] + c["costo_sin_distribuir"] == c["costo"]
        # Σ cuotas + Σ exonerado + residuo (medido predio a predio) = costo distribuido
        assert abs(c["cobrado_anual"] + c["exonerado_anual"] + c["residuo_redondeo"]
                   - c["costo_distribuido"]) < D("1e-30")
        assert c["cuadra"], s
        # un solo redondeo por predio (el importe): |residuo| ≤ n × medio céntimo
        assert abs(c["residuo_redondeo"]) <= n * D("0.005")
        for col in (f"{s}_mensual", f"{s}_anual", f"{s}_exonerado_anual", f"{s}_exonerado_mensual"):
            assert all(x >= 0 for x in r.predios[col]), col
        # lo exonerado nunca pasa del importe
        assert all(e <= i for e, i in zip(r.predios[f"{s}_exonerado_anual"],
                                          r.predios[f"{s}_importe_anual"]))
    _cuadros_de_exonerados_cuadran(r)


@PROPS
@given(catastros(), st.sampled_from(["barrido", "recoleccion", "parques", "serenazgo"]))
def test_duplicar_el_costo_duplica_cada_arbitrio(ordenanza, cat, servicio):
    d = _ordenanza_dict()
    c = d[servicio]["costo"]
    for k in ("directos", "indirectos", "fijos", "total"):
        c[k] = c[k] * 2
    doble = validar_datos(d, "doble.toml")
    r1, r2 = calcular_tarifas(*cat, ordenanza), calcular_tarifas(*cat, doble)
    with localcontext() as ctx:
        ctx.prec = 100  # comparar sin que el propio test redondee a 28 dígitos
        for a, b in zip(r1.predios[f"{servicio}_anual_bruto"],
                        r2.predios[f"{servicio}_anual_bruto"]):
            # exacto sin redondear (salvo el último de los 50 dígitos de la división)
            assert abs(b - 2 * a) <= abs(a) * D("1e-45")
    # Al céntimo: con x = k céntimos + r (0 ≤ r < 1 céntimo), HALF-UP(2x) = 2·HALF-UP(x) si y
    # solo si r < 0.25 céntimos o r ≥ 0.75 céntimos; en medio difieren en exactamente 1 céntimo
    # (x = 0.0030 → 0.00, 2x = 0.0060 → 0.01). El motor quita antes el ruido del dígito 50
    # (redondea a 30 decimales), así que r se mide igual.
    for x, a, b in zip(r1.predios[f"{servicio}_anual_bruto"], r1.predios[f"{servicio}_importe_anual"],
                       r2.predios[f"{servicio}_importe_anual"]):
        r = redondear(x, 30) % D("0.01")
        if r < D("0.0025") or r >= D("0.0075"):
            assert b == 2 * a
        else:
            assert abs(b - 2 * a) == D("0.01")
    # lo cobrado: importe − HALF-UP(importe × %) repite el mismo fenómeno con el %
    for a, b, p in zip(r1.predios[f"{servicio}_anual"], r2.predios[f"{servicio}_anual"],
                       r1.predios[f"{servicio}_porcentaje_exonerado"]):
        assert abs(b - 2 * a) <= (D("0.01") if p in (0, 100) else D("0.02"))
    # los otros servicios no cambian
    otro = "serenazgo" if servicio != "serenazgo" else "barrido"
    assert list(r1.predios[f"{otro}_anual"]) == list(r2.predios[f"{otro}_anual"])


@PROPS
@given(catastros(), st.floats(0.1, 50).map(lambda x: round(x, 2)))
def test_crecen_con_su_frontis_y_su_area(ordenanza, cat, extra):
    predios, frentes = cat
    r1 = calcular_tarifas(predios, frentes, ordenanza)
    i = frentes.index[0]
    cod = frentes.at[i, "codigo"]
    f2 = frentes.copy()
    f2.at[i, "longitud_m"] = f2.at[i, "longitud_m"] + extra
    p2 = predios.copy()
    j = p2.index[p2["codigo"] == cod][0]
    p2.at[j, "area_construida_m2"] = p2.at[j, "area_construida_m2"] + extra
    r2 = calcular_tarifas(p2, f2, ordenanza)
    a, b = _fila(r1, cod), _fila(r2, cod)
    for s in ("barrido", "recoleccion"):
        # sin redondear, hasta el ruido del dígito 50 de la división (375 frente a 374.99…9)
        with localcontext() as ctx:
            ctx.prec = 100
            assert b[f"{s}_anual_bruto"] >= a[f"{s}_anual_bruto"] - D("1e-40")
        assert b[f"{s}_mensual"] >= a[f"{s}_mensual"]

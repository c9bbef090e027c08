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

from decimal import Decimal as D
from decimal import localcontext

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errores import ErrorDatos
from geo.ordenanza import validar_datos
from geo.tarifas import calcular_tarifas, escribir_salidas, liquidacion

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
    assert c["cobrado_anual"] + c["exonerado_anual"] + c["residuo_redondeo"] == 600
    assert abs(c["residuo_redondeo"]) <= D("0.02")


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
        assert c["cobrado_anual"] + c["exonerado_anual"] + c["residuo_redondeo"] == c["costo"]


def test_unidades_en_propiedad_horizontal(resultado):
    u1, u2 = _fila(resultado, "U1"), _fila(resultado, "U2")
    assert u1["total_mensual"] == u2["total_mensual"]
    assert u1["predio_matriz"] == "M"


def test_liquidacion_legible(resultado):
    texto = liquidacion("P2", resultado)
    assert "Jr. Uno cdra. 2 (sector 1): frontis 20.00 ml × S/ 2.500000 = S/ 50.00" in texto
    assert "Exoneración (educacion_privada, Art. 8.2): 20 %" in texto
    assert "área construida 50.00 m² × S/ 0.500000 por m² = S/ 25.00" in texto
    with pytest.raises(ErrorDatos, match="no está"):
        liquidacion("NOEXISTE", resultado)


def test_salidas(resultado, tmp_path):
    import json

    rutas = escribir_salidas(resultado, tmp_path)
    nombres = {p.name for p in rutas}
    assert {"arbitrios_predios.csv", "arbitrios_predios.xlsx", "resumen.json", "informe.html",
            "cuadro_10.csv", "cuadro_47.csv"} <= nombres
    csv = pd.read_csv(tmp_path / "arbitrios_predios.csv", dtype=str)
    assert list(csv.columns[:3]) == ["codigo", "uso", "zona_recoleccion"]
    assert csv.set_index("codigo").loc["P1", "total_mensual"] == "72.92"
    resumen = json.loads((tmp_path / "resumen.json").read_text(encoding="utf-8"))
    assert resumen["servicios"]["barrido"]["costo"] == "1200"
    html = (tmp_path / "informe.html").read_text(encoding="utf-8")
    assert "@media print" in html and "page-break" in html and "(d) = (b) × (c)" in html
    x = pd.read_excel(tmp_path / "arbitrios_predios.xlsx")
    assert len(x) == 6
    assert not list(tmp_path.glob(".*"))  # sin temporales


def test_datos_invalidos(ordenanza):
    predios, frentes = _catastro()
    malo = predios.copy()
    malo.loc[0, "uso"] = 11
    with pytest.raises(ErrorDatos, match="uso fuera de 1–10"):
        calcular_tarifas(malo, frentes, ordenanza)
    with pytest.raises(ErrorDatos, match="repetidos"):
        calcular_tarifas(pd.concat([predios, predios.iloc[:1]]), frentes, ordenanza)


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


PROPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(catastros())
def test_conciliacion_y_no_negativos(ordenanza, cat):
    r = calcular_tarifas(*cat, ordenanza)
    n = len(r.predios)
    for s, c in r.conciliacion.items():
        # por construcción la suma de los montos SIN redondear es exactamente el costo distribuido
        assert abs(c["suma_exacta"] - c["costo_distribuido"]) < D("1e-30"), s
        assert c["costo_distribuido"] + c["costo_sin_distribuir"] == c["costo"]
        assert c["cobrado_anual"] + c["exonerado_anual"] + c["residuo_redondeo"] == c["costo_distribuido"]
        # cada predio redondea dos montos (cobrado y exonerado): |residuo| ≤ n × 1 céntimo
        assert abs(c["residuo_redondeo"]) <= n * D("0.01")
        for col in (f"{s}_mensual", f"{s}_anual", f"{s}_exonerado_anual"):
            assert all(x >= 0 for x in r.predios[col]), col


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
    # Redondeado NO es exacto: HALF-UP(2x) y 2·HALF-UP(x) difieren en 1 céntimo cuando x cae en
    # medio céntimo o más allá (x = 0.005 → 0.01 ×2 = 0.02, pero 2x = 0.01 → 0.01).
    for a, b in zip(r1.predios[f"{servicio}_anual"], r2.predios[f"{servicio}_anual"]):
        assert abs(b - 2 * a) <= D("0.01")
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

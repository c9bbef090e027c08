"""verificar-ordenanza: reproduce cada tasa publicada y encuentra las inconsistencias del texto.

Las cifras esperadas están copiadas a mano de shared/referencia/cifras-ordenanza-466-2019.md
(no se leen del TOML).
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from geo.ordenanza import cargar_ordenanza
from geo.tarifas.verificacion import formatear_verificacion, verificar_ordenanza


@pytest.fixture(scope="module")
def v():
    return verificar_ordenanza(cargar_ordenanza())


def _cifra(v, cuadro, *fragmentos, publicado):
    hallada = [c for c in v.cifras if c.cuadro == cuadro and c.publicado == D(publicado)
               and all(f in c.concepto for f in fragmentos)]
    assert hallada, f"no se verificó {cuadro} {fragmentos} = {publicado}"
    return hallada[0]


# (cuadro, fragmento del concepto, cifra publicada) — tasas de la referencia
TASAS = [
    *[("Cuadro 10", f"sector {s}: tasa_anual_ml", "8.42") for s in "1234"],
    *[("Cuadro 12", f"sector {s}: tasa mensual", "0.702") for s in "1234"],
    # zona A (Cuadros 22 y 25)
    *[("Cuadro 22", f"uso {u}: tasa_anual_m2", t) for u, t in
      [(1, "0.395"), (2, "0.477"), (3, "0.489"), (4, "0.482"), (5, "0.581"), (6, "0.585"),
       (8, "0.000"), (9, "0.907"), (10, "0.354")]],
    *[("Cuadro 22", f"uso {u}: tasa_mensual_m2", t) for u, t in
      [(1, "0.0329"), (2, "0.0398"), (3, "0.0408"), (4, "0.0402"), (5, "0.0484"), (6, "0.0488"),
       (8, "0.0000"), (9, "0.0756"), (10, "0.0295")]],
    # zona B (Cuadros 23 y 26)
    *[("Cuadro 23", f"uso {u}: tasa_anual_m2", t) for u, t in
      [(1, "0.160"), (2, "0.270"), (3, "0.478"), (4, "0.202"), (5, "0.301"), (6, "0.304"),
       (8, "0.000"), (9, "0.691"), (10, "0.228")]],
    *[("Cuadro 26", f"uso {u}: tasa mensual", t) for u, t in
      [(1, "0.0134"), (2, "0.0225"), (3, "0.0399"), (4, "0.0168"), (5, "0.0251"), (6, "0.0253"),
       (8, "0.0000"), (9, "0.0576"), (10, "0.0190")]],
    # parques (Cuadro 32)
    *[("Cuadro 32", f"categoria {k}: tasa_anual", t) for k, t in
      [("A", "98.30"), ("B", "87.30"), ("C", "80.70"), ("D", "75.56")]],
    *[("Cuadro 32", f"categoria {k}: tasa_mensual", t) for k, t in
      [("A", "8.19"), ("B", "7.27"), ("C", "6.72"), ("D", "6.30")]],
    # serenazgo (Cuadro 47)
    *[("Cuadro 47", f"uso {u}: tasa_anual", t) for u, t in
      [(1, "95.22"), (2, "122.64"), (3, "137.63"), (4, "126.02"), (5, "192.08"), (6, "215.25"),
       (7, "83.55"), (8, "83.68"), (9, "199.70"), (10, "330.05")]],
    *[("Cuadro 47", f"uso {u}: tasa_mensual", t) for u, t in
      [(1, "7.94"), (2, "10.22"), (3, "11.47"), (4, "10.50"), (5, "16.01"), (6, "17.94"),
       (7, "6.96"), (8, "6.97"), (9, "16.64"), (10, "27.50")]],
]


@pytest.mark.parametrize("cuadro,concepto,publicado", TASAS)
def test_reproduce_cada_tasa_publicada(v, cuadro, concepto, publicado):
    c = _cifra(v, cuadro, concepto, publicado=publicado)
    assert c.es_tasa and c.ok, f"{cuadro} {concepto}: {c.recalculado} ≠ {publicado}"


def test_todas_las_tasas_ok_y_codigo_de_salida(v):
    assert v.tasas and v.tasas_ok
    assert v.codigo_salida == 0


@pytest.mark.parametrize("cuadro,concepto,publicado", [
    ("Cuadro 10", "sector 1: costo_relativo", "29333.76"),
    ("Cuadro 10", "sector 2: costo_relativo", "83080.88"),
    ("Cuadro 10", "sector 3: costo_relativo", "49490.19"),
    ("Cuadro 10", "sector 4: costo_relativo", "99990.73"),
    ("Cuadro 09", "Total ponderado_ml", "186633.60"),
    ("Cuadro 11", "Total exonerar anual", "16937.09"),
    ("Cuadro 19", "zona A: costo_relativo", "572115.21"),
    ("Cuadro 19", "zona B: costo_relativo", "118141.67"),
    ("Cuadro 19", "zona A: porcentaje", "82.88"),
    ("Cuadro 20", "uso 1: costo_relativo", "128937.300"),
    ("Cuadro 20", "uso 5: costo_relativo", "167775.688"),
    ("Cuadro 21", "uso 1: costo_relativo", "33613.44"),
    ("Cuadro 24", "Total exonerar anual", "11754.06"),
    ("Cuadro 25", "Total ingreso proyectado", "560361.15"),
    ("Cuadro 32", "categoria A: porcentaje", "13.72"),
    ("Cuadro 32", "categoria D: costo_relativo", "86138.25"),
    ("Cuadro 47", "uso 1: costo_relativo", "379371.72"),
    ("Cuadro 47", "uso 7: costo_relativo", "32250.84"),
])
def test_reproduce_costos_relativos_y_totales(v, cuadro, concepto, publicado):
    assert _cifra(v, cuadro, concepto, publicado=publicado).ok


def _hay(v, cuadro, *palabras):
    return [i for i in v.inconsistencias
            if cuadro in i.cuadro and all(p in i.mensaje for p in palabras)]


@pytest.mark.parametrize("cuadro,palabras", [
    # costos declarados de dos formas
    ("Cuadro 07", ("total", "261,895.55", "261,895.56")),
    ("Cuadro 07", ("fijos", "67.60")),
    ("Cuadro 18", ("total", "690,258.88", "690,256.88")),
    ("Cuadro 18", ("indirectos", "28,125.81")),
    # Cuadro 10: la columna (i) dice "= (h) * 12" pero divide
    ("Cuadro 10", ("(i) = (h) * 12",)),
    # Cuadro 11: encabezado "Descuento del 60 %" y PNP al 20 % (Art. 8.3: 50 %)
    ("Cuadro 11", ("Descuento del 60",)),
    ("Cuadro 11", ("pnp", "20 %", "50 %")),
    ("Cuadro 11", ("80 %", "50 %")),  # mensual al 80 %, anual al 50 %
    # Cuadro 19 frente a 21: predios de la zona B
    ("Cuadro 19 / Cuadro 21", ("966", "580")),
    ("Cuadro 19", ("(c) = (a)*(b)",)),
    ("Cuadro 20", ("kg_dia", "25,460.610", "25,450.608")),
    ("Cuadro 21", ("232.33",)),
    ("Cuadro 21", ("(d) = (c) * 365",)),
    ("Cuadro 21", ("X4",)),
    ("Cuadro 21", ("porcentaje", "100.19")),
    # Cuadro 24: 75 % donde el Art. 8 dice 50 %; total 61 frente a 51
    ("Cuadro 24", ("salud_estatal", "75 %", "50 %")),
    ("Cuadro 24", ("educacion_estatal", "75 %", "50 %")),
    ("Cuadro 24", ("pnp", "75 %", "50 %")),
    ("Cuadro 24", ("educacion_privada", "50 %", "20 %")),
    ("Cuadro 24", ("predios", "61", "51")),
    ("Cuadro 24", ("descuento_50", "1,467.79", "1,457.79")),
    ("Cuadro 26", ("118,141.78",)),
    ("Cuadro 21 / Cuadro 26", ("17295.69", "17295.59")),
    # parques
    ("Cuadro 28", ("276,135.98", "202,111.63")),
    ("Cuadro 31", ("LAV",)),
    ("Cuadro 32", ("65.86",)),
    ("Cuadro 33", ("Municipalidad Provincial (B)", "50.92", "611.08")),
    ("Cuadro 33", ("Educación estatal (B)", "281.89", "261.89")),
    ("Cuadro 33", ("salud_estatal", "100 %", "50 %")),
    ("Cuadro 33", ("PNP (C)", "3.35")),
    ("Cuadro 33", ("descuento_100", "80.70")),
    ("Art. 16.1", ("3 categorías", "4")),
    # serenazgo
    ("Cuadro 48", ("26.76", "Cuadro 47")),
    ("Cuadro 48", ("tasa_mensual", "97.91")),
    ("Cuadro 48", ("monto_anual", "36,801.23", "37,148.65")),
    ("Cuadro 48", ("educacion_estatal", "75 %", "50 %")),
    ("Cuadro 46", ("108529.00", "576377.00")),
    # barrido: frontis = longitud de vías de las micro-rutas
    ("Cuadro 05 / Cuadro 09", ("3484.00", "longitud")),
    ("Cuadro 05", ("20904.72", "20904.00")),
])
def test_encuentra_cada_inconsistencia_conocida(v, cuadro, palabras):
    assert _hay(v, cuadro, *palabras), f"no se informó en {cuadro}: {palabras}"


def test_no_inventa_inconsistencias_en_cuadros_sanos(v):
    # los Cuadros 09, 22, 23 y 47 cuadran consigo mismos
    for cuadro in ("Cuadro 09", "Cuadro 22", "Cuadro 23", "Cuadro 47"):
        assert not [i for i in v.inconsistencias if i.cuadro == cuadro], cuadro


def test_informe_texto_y_json(v):
    texto = formatear_verificacion(v, "texto")
    assert "✓" in texto and "INCONSISTENCIAS" in texto and "Todas las tasas" in texto
    j = json.loads(formatear_verificacion(v, "json"))
    assert j["codigo_salida"] == 0 and j["tasas_reproducidas"] is True
    assert j["resumen"]["inconsistencias"] == len(v.inconsistencias)
    with pytest.raises(ValueError):
        formatear_verificacion(v, "pdf")


def test_una_tasa_alterada_da_codigo_1():
    import copy
    import tomllib

    from geo.ordenanza import RUTA_POR_DEFECTO, validar_datos
    with open(RUTA_POR_DEFECTO, "rb") as f:
        d = tomllib.load(f, parse_float=D)
    d = copy.deepcopy(d)
    d["parques"]["categorias"][0]["indice_disfrute"] = D("1.40")
    v2 = verificar_ordenanza(validar_datos(d, "x"))
    assert v2.codigo_salida == 1


# ---------------------------------------------------------------------------------------------
# cifras de referencia que la ordenanza no calcula con su propia fórmula
# ---------------------------------------------------------------------------------------------

def test_cuadro_12_proyectado_con_el_exonerado_truncado(v):
    # a mano: tasa anual = 261,895.56 / 31,105.60; exonerado = Σ frontis × tasa × % (Cuadro 11)
    tasa = D("261895.56") / D("31105.60")
    bases = [(D("1581.07"), 100), (D("18.90"), 100), (D("51.00"), 100), (D("373.86"), 50),
             (D("251.79"), 50), (D("13.80"), 20), (D("20.20"), 20), (D("205.20"), 20)]
    exonerado = sum(b * tasa * p / 100 for b, p in bases)
    assert D("16937.08") < exonerado < D("16937.09")  # 16,937.0877: redondeado .09, truncado .08
    assert D("261895.56") - D("16937.08") == D("244958.48")
    c = _cifra(v, "Cuadro 12", "Ingreso anual proyectado", publicado="244958.48")
    assert c.ok and "trunc" in c.calculo
    assert _hay(v, "Cuadro 12", "(f) = (d) − (e)", "244,958.47", "244,958.48")


def test_cuadro_33_total_con_el_monto_mensual_de_la_fila_b(v):
    c = _cifra(v, "Cuadro 33", "Total exonerar anual", publicado="2448.67")
    assert c.ok and "50.92" in c.calculo
    # la suma impresa de la columna es 2,448.68; sin redondear, 2,448.6654…
    assert D("2448.66") < c.recalculado < D("2448.67")
    assert _hay(v, "Cuadro 33", "2,448.67", "50.92", "611.08", "3,008.82")


def test_cuadro_34_exonerado_y_proyectado(v):
    assert _cifra(v, "Cuadro 34", "categoría B: exonerado", publicado="531.06").ok
    assert _cifra(v, "Cuadro 34", "Total exonerado", publicado="2448.67").ok
    c = _cifra(v, "Cuadro 34", "Total ingreso proyectado", publicado="249834.73")
    assert c.ok and "columna (f)" in c.calculo
    assert D("34257.96") + D("49752.20") + D("79686.32") + D("86138.25") == D("249834.73")
    assert _hay(v, "Cuadro 34", "249,834.72", "249,834.73")
    assert _hay(v, "Cuadro 34", "categoría B", "1,091.22")


def test_cuadro_48_total_no_reproducible_y_proyectado(v):
    # la columna publicada suma 35,857.40: el 35,857.41 no sale de ninguna cifra publicada
    filas = ["2649.66", "321.17", "246.80", "61.70", "1048.92", "31268.58", "260.57"]
    assert sum(D(x) for x in filas) == D("35857.40")
    c = _cifra(v, "Cuadro 48", "Total exonerar anual", publicado="35857.41")
    assert not c.ok and c.recalculado == D("35857.40")
    assert _hay(v, "Cuadro 48", "35,857.41", "35,857.40")
    p = _cifra(v, "Cuadro 48", "Ingreso anual proyectado", publicado="649048.59")
    assert p.ok and "684,906.00 − 35,857.41" in p.calculo


def test_resumen_de_la_verificacion(v):
    r = v.resumen()
    assert r["tasas"] == r["tasas_ok"] == 131
    assert r["cifras_distintas"] == 56 and r["inconsistencias"] == 90
    texto = formatear_verificacion(v, "texto")
    assert "↳ (d) − (e) con (e) sin redondear truncado al céntimo" in texto


def test_formula_no_evaluable_nombra_la_clave():
    import copy
    import tomllib

    from geo.errores import ErrorOrdenanza
    from geo.ordenanza import RUTA_POR_DEFECTO, validar_datos
    with open(RUTA_POR_DEFECTO, "rb") as f:
        d = copy.deepcopy(tomllib.load(f, parse_float=D))
    d["publicado"]["barrido"]["cuadro_09"]["formulas"][0]["expresion"] = "b ** c"
    with pytest.raises(ErrorOrdenanza, match=r"\[publicado\.barrido\.cuadro_09\]\.formulas: .*«b \*\* c»"):
        verificar_ordenanza(validar_datos(d, "x"))

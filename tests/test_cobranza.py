"""Cobranza: calendario, TIM, emisión única, pagos (caja y banco), errores sin escrituras."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from geo.cobranza import (
    emitir,
    estado_cuenta,
    extornar,
    importar_contribuyentes,
    importar_pagos_banco,
    pagar,
    registrar_avisos,
    transferir,
)
from geo.cobranza.calendario import feriados, ultimo_dia_habil
from geo.cobranza.intereses import TablaTIM, cargar_tim, interes_cent
from geo.cobranza.registro import buscar_contribuyente, titulares
from geo.errores import ErrorDatos
from tests.conftest import RAIZ, capas_minimas, escribir


def _pascua(anio: int) -> date:
    """Domingo de Pascua (algoritmo anónimo gregoriano), independiente del archivo."""
    a, b, c = anio % 19, anio // 100, anio % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    mes = (h + l_ - 7 * m + 114) // 31
    return date(anio, mes, (h + l_ - 7 * m + 114) % 31 + 1)


@pytest.mark.parametrize("anio", range(2019, 2027))
def test_feriados_tienen_semana_santa_y_fijos(anio):
    f = feriados()[anio]
    p = _pascua(anio)
    assert {p - timedelta(days=3), p - timedelta(days=2)} <= f
    assert {date(anio, 1, 1), date(anio, 7, 28), date(anio, 7, 29), date(anio, 12, 25)} <= f


@pytest.mark.parametrize(("anio", "mes", "esperado"), [
    (2020, 5, date(2020, 5, 29)),    # 30 y 31 son sábado y domingo
    (2024, 3, date(2024, 3, 27)),    # 28 y 29: Jueves y Viernes Santo; 30-31 fin de semana
    (2021, 8, date(2021, 8, 31)),    # el 30 (Santa Rosa) no es el último
    (2020, 10, date(2020, 10, 30)),  # 31 es sábado
    (2026, 1, date(2026, 1, 30)),
])
def test_ultimo_dia_habil(anio, mes, esperado):
    assert ultimo_dia_habil(anio, mes) == esperado


def test_sin_feriados_del_anio_es_error_claro():
    with pytest.raises(ErrorDatos, match="No hay feriados del año 2031"):
        ultimo_dia_habil(2031, 1)


def test_interes_a_mano():
    tim = cargar_tim()
    assert tim.tim(date(2020, 3, 1)) == Decimal("1.2")
    # S/ 100.00 × 1,2 % / 30 × 30 días = S/ 1.20
    assert interes_cent(10000, date(2020, 1, 31), date(2020, 3, 1), tim) == 120
    # S/ 37.34 × 0,04 % × 45 días = 0.67212 → 0.67
    assert interes_cent(3734, date(2020, 1, 31), date(2020, 3, 16), tim) == 67
    # mitad hacia arriba: 12.50 céntimos → 13
    t = TablaTIM(((date(2019, 1, 1), Decimal("1.5")),))
    assert interes_cent(2500, date(2020, 1, 1), date(2020, 1, 11), t) == 13
    # TIM que cambia a mitad del tramo: 2 días a 1,2 % y 3 días a 1,0 %
    t = TablaTIM(((date(2019, 1, 1), Decimal("1.2")), (date(2020, 4, 1), Decimal("1.0"))))
    assert t.suma_dias(date(2020, 3, 29), date(2020, 4, 3)) == Decimal("5.4")
    assert interes_cent(300000, date(2020, 3, 29), date(2020, 4, 3), t) == 540
    assert interes_cent(10000, date(2020, 3, 1), date(2020, 2, 1), t) == 0
    with pytest.raises(ErrorDatos, match="No hay TIM"):
        t.suma_dias(date(2018, 12, 1), date(2019, 2, 1))


# ------------------------------------------------------------------ almacén mínimo


class _Res:
    """Resultado de tarifas de juguete (lo que emitir lee de ResultadoTarifas.predios)."""

    def __init__(self, montos: dict[str, tuple[str, str, str, str]]):
        filas = [{"codigo": c, "barrido_mensual": Decimal(b), "recoleccion_mensual": Decimal(r),
                  "parques_mensual": Decimal(p), "serenazgo_mensual": Decimal(s),
                  "sector_barrido": "1"} for c, (b, r, p, s) in montos.items()]
        self.predios = pd.DataFrame(filas)


P1, P2, P3, P4 = (f"190301-01-001-00{i}" for i in range(1, 5))
RES = _Res({P1: ("10.00", "20.00", "5.00", "5.00"), P2: ("2.13", "80.00", "3.00", "8.00"),
            P3: ("0.00", "0.00", "0.00", "0.00"), P4: ("1.00", "0.00", "0.00", "1.00")})


@pytest.fixture
def caja(tmp_path):
    ruta = escribir(capas_minimas(), tmp_path / "minimo.gpkg")
    return ruta


def _conteos(ruta) -> dict:
    with sqlite3.connect(ruta) as con:
        tablas = [r[0] for r in con.execute(
            "select name from sqlite_master where type='table' and name like 'cob_%'")]
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tablas}


def test_emitir_una_sola_vez(caja):
    r = emitir(caja, 2020, [1, 2], "ana", RES)
    assert list(r["obligaciones"]) == [10, 10]  # P3 no paga nada; P4 solo dos arbitrios
    assert r["total"].iloc[0] == Decimal("135.13")  # 40.00 + 93.13 + 2.00
    antes = _conteos(caja)
    with pytest.raises(ErrorDatos, match="02/2020 ya fue emitido"):
        emitir(caja, 2020, [2, 3], "ana", RES)
    assert _conteos(caja) == antes  # tampoco se emitió marzo
    # el índice único protege aunque alguien se salte la comprobación
    with sqlite3.connect(caja) as con, pytest.raises(sqlite3.IntegrityError):
        con.execute("insert into cob_emisiones (anio, mes, tipo, usuario, instante, "
                    "obligaciones, total_cent) values (2020, 1, 'emision', 'x', 'x', 0, 0)")


def test_pagos_imputan_lo_mas_antiguo_primero_interes_antes(caja):
    emitir(caja, 2020, [1, 2], "ana", RES)
    # pago del 02/03/2020 de S/ 50: enero vencido el 31/01 (31 días), febrero el 28/02 (3 días)
    r = pagar(caja, P1, "50.00", "2020-03-02", "caja1")
    # enero (31 días, 2020 es bisiesto), en céntimos: 1000 × 0,04 % × 31 = 12,4 → 12;
    # 2000 → 24,8 → 25; 500 → 6,2 → 6 (dos veces). Febrero barrido: 1000 × 0,04 % × 3 = 1,2 → 1
    assert r["interes_cent"] == 12 + 25 + 6 + 6 + 1
    assert r["capital_cent"] == 5000 - 50
    e = estado_cuenta(caja, P1, "2020-03-02")
    c = e.cuotas.set_index(["mes", "arbitrio"])
    assert c.loc[(1, "serenazgo"), "saldo_cent"] == 0
    # quedan 50.00 − 0.49 − 40.00 = 9.51 para febrero barrido: 0.01 de interés y 9.50
    assert c.loc[(2, "barrido"), "interes_pagado_cent"] == 1
    assert c.loc[(2, "barrido"), "capital_cent"] == 950
    assert e.saldo_cent == 8000 - 5000 + e.interes_cent


def test_saldo_a_favor_extorno_y_pago_inexistente(caja):
    emitir(caja, 2020, [1], "ana", RES)
    r = pagar(caja, P4, "5.00", "2020-01-15", "caja1")  # adelantado: sin interés
    assert (r["interes_cent"], r["capital_cent"], r["a_favor_cent"]) == (0, 200, 300)
    e = estado_cuenta(caja, P4, "2020-12-31")
    assert e.saldo_cent == -300 and e.a_favor_cent == 300
    extornar(caja, r["pago"], "cheque sin fondos", "jefe")
    e = estado_cuenta(caja, P4, "2020-03-01")
    assert e.pagado_cent == 0 and e.a_favor_cent == 0
    assert e.saldo_cent == 200 + e.interes_cent
    with pytest.raises(ErrorDatos, match="ya fue extornado"):
        extornar(caja, r["pago"], "otra vez", "jefe")
    antes = _conteos(caja)
    with pytest.raises(ErrorDatos, match="no existe el predio 190301-99"):
        pagar(caja, "190301-99", "10.00", "2020-02-01", "caja1")
    with pytest.raises(ErrorDatos, match="más de dos decimales"):
        pagar(caja, P1, "10.001", "2020-02-01", "caja1")
    assert _conteos(caja) == antes


def test_archivo_de_banco_malo_no_escribe_nada(caja, tmp_path):
    emitir(caja, 2020, [1], "ana", RES)
    malo = tmp_path / "bn.csv"
    malo.write_text("codigo;fecha;monto;operacion\n"
                    f"{P1};2020-02-03;40.00;A1\n"
                    f"{P2};03/02/2020;10.00;A2\n"
                    f"9999;2020-02-03;10.00;A3\n"
                    f"{P1};2020-02-03;abc;A1\n", encoding="utf-8")
    antes = _conteos(caja)
    with pytest.raises(ErrorDatos) as e:
        importar_pagos_banco(caja, malo, "BN", "ana")
    m = e.value.mensaje
    assert "No se registró ningún pago" in m
    for trozo in ("línea 3: fecha '03/02/2020'", "línea 4: no existe el predio 9999",
                  "línea 5: monto 'abc'", "línea 5: operación A1 repetida"):
        assert trozo in m
    assert _conteos(caja) == antes
    sin_col = tmp_path / "x.csv"
    sin_col.write_text("codigo,importe\n1,2\n", encoding="utf-8")
    with pytest.raises(ErrorDatos, match="no tiene las columnas fecha, monto, operacion"):
        importar_pagos_banco(caja, sin_col, "BN", "ana")
    bueno = tmp_path / "ok.csv"
    bueno.write_text(f"codigo,fecha,monto,operacion\n{P1},2020-02-03,40.00,A1\n", "utf-8")
    assert len(importar_pagos_banco(caja, bueno, "BN", "ana")) == 1
    with pytest.raises(ErrorDatos, match="ya fue registrada"):
        importar_pagos_banco(caja, bueno, "BN", "ana")


def test_registro_y_transferencia(caja):
    assert importar_contribuyentes(caja, "2019-01-01", "ana") == 4
    c = buscar_contribuyente(caja, "C000002")
    assert c["nombre"] == "Müller Egg, Ana" and c["predios"][0]["predio"] == P2
    # venta el 15/03/2020 a dos copropietarios: deben desde abril (Art. 5)
    transferir(caja, P2, [{"nombre": "Pérez, Juan", "documento": "40000001",
                           "rol": "copropietario", "cuota": "0.6"},
                          {"nombre": "Pérez, Rosa", "documento": "40000002",
                           "rol": "copropietario", "cuota": "0.4"}],
               "2020-03-15", "EXP-9", "ana")
    assert titulares(caja, "2020-03-31").set_index("predio").loc[P2, "contribuyente"] == "C000002"
    assert titulares(caja, "2020-04-01").set_index("predio").loc[P2, "contribuyente"] == "C000005"
    emitir(caja, 2020, [3, 4], "ana", RES)
    with sqlite3.connect(caja) as con:
        quien = dict(con.execute("select mes, contribuyente from cob_obligaciones "
                                 "where predio = ? and arbitrio = 'barrido'", (P2,)))
    assert quien == {3: "C000002", 4: "C000005"}
    with pytest.raises(ErrorDatos, match="sumar 1"):
        transferir(caja, P1, [{"nombre": "X", "cuota": "0.5"}], "2020-05-01", "E", "ana")
    with pytest.raises(ErrorDatos, match="ya fue importado"):
        importar_contribuyentes(caja, "2019-01-01", "ana")


def test_cli_errores_en_espanol(caja, correr, tmp_path):
    emitir(caja, 2020, [1], "ana", RES)
    rc, out, err = correr("pagar", "NO-EXISTE", "--monto", "10", "--fecha", "2020-02-01",
                          "--usuario", "caja1", "--capas", caja)
    assert rc == 1 and "PREDIO_INEXISTENTE" in err and "Traceback" not in err
    registrar_avisos(caja, [{"predio": P1, "fecha": "2020-02-10", "entregado_por": "Luis"},
                            {"predio": P1, "fecha": "2020-03-10", "entregado_por": "Luis"}],
                     "ana")
    rc, out, _ = correr("morosos", "--avisos", "2", "--fecha", "2020-03-31", "--capas", caja)
    assert rc == 0 and P1 in out and P2 not in out
    rc, out, _ = correr("estado-cuenta", P1, "--fecha", "2020-03-31", "--capas", caja,
                        "--html", tmp_path / "ec.html")
    assert rc == 0 and "SALDO A PAGAR" in out
    html = (tmp_path / "ec.html").read_text(encoding="utf-8")
    assert "Núñez" not in html and "Saldo a pagar" in html  # sin datos personales
    rc, out, err = correr("mora", "--fecha", "2020-03-31", "--capas", caja)
    assert rc == 0 and "Centro" in out


def test_almacen_por_defecto_intacto():
    # la cobranza nunca se prueba sobre capas/oxapampa.gpkg: solo sobre copias
    with sqlite3.connect(RAIZ / "capas" / "oxapampa.gpkg") as con:
        assert not con.execute("select 1 from sqlite_master where name like 'cob_%'").fetchone()


def test_cronograma_a_mano():
    from geo.cobranza.fraccionamiento import cronograma

    # S/ 100.00 en 3 cuotas al 0,96 % mensual (80 % de la TIM de 1,2 %)
    c = cronograma(10000, 3, Decimal("0.96"), date(2020, 6, 10))
    assert [f["capital_cent"] for f in c] == [3333, 3333, 3334]
    # interés sobre el saldo: 100.00 → 0.96; 66.67 → 0.64003 → 0.64; 33.34 → 0.32006 → 0.32
    assert [f["interes_cent"] for f in c] == [96, 64, 32]
    assert [f["vencimiento"] for f in c] == [date(2020, 7, 31), date(2020, 8, 31),
                                            date(2020, 9, 30)]


def test_plan_de_pagos_vigente_cancelado_y_quebrado(caja):
    from geo.cobranza import crear_plan, planes

    emitir(caja, 2020, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "ana", RES)
    antes = estado_cuenta(caja, P2, "2020-03-10")
    p = crear_plan(caja, P2, 3, "2020-03-10", "ana", "RES-1")
    # la deuda vencida (enero y febrero, con su interés) es la del estado de cuenta
    vencida = antes.cuotas[antes.cuotas["vencida"]]
    assert p["deuda_cent"] == int(vencida["saldo_cent"].sum())
    e = estado_cuenta(caja, P2, "2020-03-10")
    assert e.saldo_cent == antes.saldo_cent + int(p["cronograma"]["interes_cent"].sum())
    with pytest.raises(ErrorDatos, match="ya tiene el plan"):
        crear_plan(caja, P2, 3, "2020-03-11", "ana")
    assert planes(caja, "2020-03-31")["estado"].tolist() == ["vigente"]
    # no paga: en octubre hay tres cuotas del plan vencidas → quebrado
    assert planes(caja, "2020-10-01")["estado"].tolist() == ["quebrado"]
    # paga todo lo que debe al 05/10 → cancelado
    deuda = estado_cuenta(caja, P2, "2020-10-05")
    pagar(caja, P2, Decimal(int(deuda.cuotas.query("vencida")["saldo_cent"].sum())) / 100,
          "2020-10-05", "caja1")
    assert planes(caja, "2020-10-05")["estado"].tolist() == ["cancelado"]
    with pytest.raises(ErrorDatos, match="no tiene deuda vencida"):
        crear_plan(caja, P4, 2, "2020-01-15", "ana")


def test_ajuste_no_reescribe_lo_emitido(caja):
    from geo.cobranza import ajustar

    emitir(caja, 2020, [1], "ana", RES)
    nuevo = _Res({P1: ("12.50", "20.00", "5.00", "5.00"), P2: ("2.13", "70.00", "3.00", "8.00"),
                  P3: ("0.00", "0.00", "0.00", "0.00"), P4: ("1.00", "0.00", "0.00", "1.00")})
    with pytest.raises(ErrorDatos, match="expediente"):
        ajustar(caja, 2020, 1, "", "ana", nuevo)
    d = ajustar(caja, 2020, 1, "EXP-77", "ana", nuevo, "2020-01-10").set_index(
        ["predio", "arbitrio"])
    assert d.loc[(P1, "barrido"), "diferencia_cent"] == 250
    assert d.loc[(P2, "recoleccion"), "diferencia_cent"] == -1000  # nota de crédito
    with sqlite3.connect(caja) as con:
        filas = con.execute("select predio, arbitrio, tipo, monto_cent from cob_obligaciones "
                            "where mes = 1 and (arbitrio = 'barrido' and predio = ? or "
                            "arbitrio = 'recoleccion' and predio = ?) order by id",
                            (P1, P2)).fetchall()
    assert filas == [(P1, "barrido", "emision", 1000), (P2, "recoleccion", "emision", 8000),
                     (P1, "barrido", "ajuste", 250), (P2, "recoleccion", "ajuste", -1000)]
    # un segundo ajuste con el mismo cálculo no encuentra nada y no escribe nada
    antes = _conteos(caja)
    assert ajustar(caja, 2020, 1, "EXP-78", "ana", nuevo).empty
    assert _conteos(caja) == antes


# ------------------------------------------------------------------ notas de crédito
# TIM 1,2 % mensual = 0,04 % diario; 2020 es bisiesto.

BAJA_P2 = _Res({P1: ("10.00", "20.00", "5.00", "5.00"), P2: ("2.13", "70.00", "3.00", "8.00"),
                P3: ("0.00", "0.00", "0.00", "0.00"), P4: ("1.00", "0.00", "0.00", "1.00")})


def _mes_arbitrio(e, mes, arbitrio) -> pd.DataFrame:
    c = e.cuotas
    return c[(c["mes"] == mes) & (c["arbitrio"] == arbitrio)]


def test_nota_de_credito_rebaja_deuda_impaga_e_interes_desde_el_ajuste(caja):
    from geo.cobranza import ajustar

    emitir(caja, 2020, [1], "ana", RES)
    # P2 recolección de enero: S/ 80.00, vence el 31/01/2020; se rebaja a 70.00 el 02/03/2020
    antes = estado_cuenta(caja, P2, "2020-03-02")
    d = ajustar(caja, 2020, 1, "EXP-90", "ana", BAJA_P2, "2020-03-02", "predio subdividido")
    assert d[["predio", "arbitrio", "diferencia_cent", "compensado_cent", "imputado_cent",
              "a_favor_cent"]].values.tolist() == [[P2, "recoleccion", -1000, 1000, 0, 0]]
    despues = estado_cuenta(caja, P2, "2020-03-02")
    # 31 días (01/02 … 02/03) sobre 80.00: 8000 × 0,0004 × 31 = 99,2 → 99
    assert _mes_arbitrio(antes, 1, "recoleccion")["saldo_cent"].sum() == 8000 + 99
    assert _mes_arbitrio(despues, 1, "recoleccion")["saldo_cent"].sum() == 7000 + 99
    assert antes.saldo_cent - despues.saldo_cent == 1000
    # al 01/04: 99 hasta el ajuste + 30 días sobre 70.00 (7000 × 0,0004 × 30 = 84); sin la
    # rebaja serían 61 días sobre 80.00 = 195,2 → 195
    e = estado_cuenta(caja, P2, "2020-04-01")
    m = _mes_arbitrio(e, 1, "recoleccion")
    assert m["interes_cent"].sum() == 99 + 84
    assert m["saldo_cent"].sum() == 7000 + 99 + 84
    assert e.saldo_cent == e.emitido_cent - e.pagado_cent + e.interes_cent
    assert e.emitido_cent == 213 + 8000 + 300 + 800 - 1000
    assert "(nota de crédito)" in e.texto() and "compensación de nota de crédito" in e.texto()
    # lo emitido sigue intacto; la nota lleva su expediente y motivo
    with sqlite3.connect(caja) as con:
        assert con.execute("select tipo, monto_cent from cob_obligaciones where predio = ? "
                           "and arbitrio = 'recoleccion' order by id", (P2,)).fetchall() == [
            ("emision", 8000), ("ajuste", -1000)]
        assert con.execute("select expediente, motivo from cob_emisiones where tipo = 'ajuste'"
                           ).fetchall() == [("EXP-90", "predio subdividido")]
    # pagar el saldo rebajado salda todo (recolección: 70.00 + 1.83 de interés)
    pagar(caja, P2, Decimal(e.saldo_cent) / 100, "2020-04-01", "caja1")
    e = estado_cuenta(caja, P2, "2020-04-01")
    assert e.saldo_cent == 0 and (e.cuotas["saldo_cent"] == 0).all()


def test_nota_de_credito_de_mes_pagado_se_imputa_a_la_deuda_siguiente(caja):
    from geo.cobranza import ajustar

    emitir(caja, 2020, [1, 2], "ana", RES)
    pagar(caja, P1, "40.00", "2020-01-20", "caja1")  # enero completo, antes de vencer
    pagar(caja, P4, "4.00", "2020-01-20", "caja1")   # enero y febrero adelantados
    baja = _Res({P1: ("10.00", "15.00", "5.00", "5.00"), P2: ("2.13", "80.00", "3.00", "8.00"),
                 P3: ("0.00", "0.00", "0.00", "0.00"), P4: ("1.00", "0.00", "0.00", "0.00")})
    d = ajustar(caja, 2020, 1, "EXP-91", "ana", baja, "2020-03-02").set_index("predio")
    # P1: 5.00 ya pagados vuelven como crédito el 02/03 → febrero barrido (la más antigua),
    # vencida el 28/02: 3 días de interés 1000 × 0,0004 × 3 = 1,2 → 1; a capital 4.99
    assert d.loc[P1, ["compensado_cent", "imputado_cent", "a_favor_cent"]].tolist() == [0, 500, 0]
    e = estado_cuenta(caja, P1, "2020-03-02")
    feb = _mes_arbitrio(e, 2, "barrido").iloc[0]
    assert (feb["interes_pagado_cent"], feb["capital_cent"], feb["saldo_cent"]) == (1, 499, 501)
    assert (e.cuotas.loc[e.cuotas["mes"] == 1, "saldo_cent"] == 0).all()
    # febrero: 501 + recolección 2000 + 2 (2,4) + parques 500 + 1 (0,6) + serenazgo 500 + 1
    assert e.saldo_cent == 3505 and e.a_favor_cent == 0
    assert e.emitido_cent == 8000 - 500 and e.pagado_cent == 4000
    assert e.saldo_cent == e.emitido_cent - e.pagado_cent + e.interes_cent
    # P4: no debe nada más → 1.00 de saldo a favor, como un pago en exceso
    assert d.loc[P4, ["compensado_cent", "imputado_cent", "a_favor_cent"]].tolist() == [0, 0, 100]
    e4 = estado_cuenta(caja, P4, "2020-03-02")
    assert e4.a_favor_cent == 100 and e4.saldo_cent == -100
    # la compensación no es un pago: no se extorna, ni se extornan los pagos anteriores a ella
    with sqlite3.connect(caja) as con:
        nc = con.execute("select id from cob_pagos where origen = 'nota_credito' and predio = ?",
                         (P1,)).fetchone()[0]
        pago_p1 = con.execute("select id from cob_pagos where origen = 'caja' and predio = ?",
                              (P1,)).fetchone()[0]
    with pytest.raises(ErrorDatos, match="nota de crédito"):
        extornar(caja, nc, "error", "jefe")
    with pytest.raises(ErrorDatos, match="después se aplicó una nota de crédito"):
        extornar(caja, pago_p1, "cheque sin fondos", "jefe")


def test_nota_de_credito_no_se_duplica(caja):
    from geo.cobranza import ajustar

    emitir(caja, 2020, [1], "ana", RES)
    assert len(ajustar(caja, 2020, 1, "EXP-92", "ana", BAJA_P2, "2020-02-10")) == 1
    antes = _conteos(caja)
    e = estado_cuenta(caja, P2, "2020-03-31")
    # el mismo expediente, u otro, con el mismo cálculo: nada que ajustar, nada escrito
    assert ajustar(caja, 2020, 1, "EXP-92", "ana", BAJA_P2, "2020-02-10").empty
    assert ajustar(caja, 2020, 1, "EXP-93", "ana", BAJA_P2, "2020-03-01").empty
    assert _conteos(caja) == antes
    assert estado_cuenta(caja, P2, "2020-03-31").saldo_cent == e.saldo_cent
    # volver al monto original es una subida documentada, no un borrado de la nota
    d = ajustar(caja, 2020, 1, "EXP-94", "ana", RES, "2020-03-01")
    assert d["diferencia_cent"].tolist() == [1000]
    assert estado_cuenta(caja, P2, "2020-03-31").emitido_cent == 213 + 8000 + 300 + 800


def test_cli_emitir_dos_veces_y_capa_de_mora(caja, correr):
    from geo.cobranza.mora import capa_mora_barrios

    rc, out, err = correr("emitir", "--anio", "2020", "--mes", "1", "--usuario", "ana",
                          "--capas", caja)
    assert rc == 0, err
    assert "01/2020" in out and "vence 31/01/2020" in out
    antes = _conteos(caja)
    rc, out, err = correr("emitir", "--anio", "2020", "--mes", "1", "--usuario", "ana",
                          "--capas", caja)
    assert rc == 1 and "EMISION_DUPLICADA" in err and "ya fue emitido" in err
    assert _conteos(caja) == antes
    # el catastro no cambió: el ajuste no encuentra nada y no escribe nada
    rc, out, err = correr("emitir", "--anio", "2020", "--mes", "1", "--usuario", "ana",
                          "--ajuste", "--expediente", "EXP-1", "--fecha", "2020-02-10",
                          "--capas", caja)
    assert rc == 0, err
    assert "nada que ajustar" in out and _conteos(caja) == antes
    g = capa_mora_barrios(caja, "2020-03-01")
    assert list(g["barrio"]) == ["Centro"] and g.loc[0, "mora_pct"] == 100.0
    assert "mora_pct_2020_01" in g.columns and g.crs is not None


def test_imputar_nunca_pierde_ni_inventa_un_centimo():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from geo.cobranza.pagos import Cuota, imputar

    tim = cargar_tim()

    @settings(max_examples=150, deadline=None)
    @given(montos=st.lists(st.integers(1, 50_000), min_size=1, max_size=8),
           pagos=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 80_000)), max_size=8))
    def propiedad(montos, pagos):
        cuotas = [Cuota(i, "P", 2020, i % 12 + 1, "barrido",
                        date(2020, 1, 31) + timedelta(days=30 * i), m)
                  for i, m in enumerate(montos)]
        total_pagado = total_aplicado = 0
        for dias, monto in sorted(pagos):
            filas = imputar(cuotas, date(2020, 1, 1) + timedelta(days=dias), monto, tim)
            aplicado = sum(i + c for _, _, i, c in filas)
            assert 0 <= aplicado <= monto
            # solo sobra si todo quedó saldado
            if aplicado < monto:
                assert all(c.insoluto == 0 and c.devengado == c.interes_pagado for c in cuotas)
            total_pagado += monto
            total_aplicado += aplicado
        for c in cuotas:
            assert 0 <= c.capital <= c.monto and 0 <= c.interes_pagado <= c.devengado
        assert total_aplicado == sum(c.capital + c.interes_pagado for c in cuotas)
        assert total_aplicado <= total_pagado

    propiedad()

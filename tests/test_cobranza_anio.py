"""Un año de cobranza sintética sobre el distrito por defecto (copia), recalculado a mano.

Emisión de la cuponera 2020, pagos con atrasos realistas (archivos del banco mes a mes y pagos
en caja), un extorno, avisos de cobranza. Luego:

* tres estados de cuenta se recalculan con una implementación independiente (día por día,
  fracciones exactas, sin leer imputaciones del almacén), interés incluido;
* Σ saldos de todos los predios = emitido − pagado + interés, al céntimo, con el emitido
  tomado del motor de tarifas y lo pagado de la simulación (no del almacén).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from geo.cobranza import (
    ajustar,
    crear_plan,
    emitir,
    estado_cuenta,
    extornar,
    importar_contribuyentes,
    importar_pagos_banco,
    liquidar,
    mora_por_zona,
    morosos,
    pagar,
    planes,
    registrar_avisos,
    saldos,
)
from geo.cobranza.calendario import ultimo_dia_habil
from geo.cobranza.tablas import ARBITRIOS
from tests.conftest import RAIZ

CORTE = date(2020, 12, 31)
TIM_DIARIA = Fraction(12, 10) / 30 / 100  # 1,2 % mensual (geo/datos/tim.toml)


def _cent(x) -> int:
    return int(Decimal(str(x)) * 100)


def _redondear(x: Fraction) -> int:
    return int(np.floor(x + Fraction(1, 2))) if x >= 0 else -_redondear(-x)


def _interes(insoluto: int, desde: date, hasta: date) -> int:
    """A mano: suma día por día de insoluto × TIM/30, redondeo al final."""
    total, d = Fraction(0), desde
    while d < hasta:
        d += timedelta(days=1)
        total += insoluto * TIM_DIARIA
    return _redondear(total)


def a_mano(cuotas: list[dict], eventos: list[tuple], corte: date) -> dict:
    """Estado de cuenta independiente. ``cuotas``: {mes, arbitrio, monto}; ``eventos`` en
    orden de registro: ("pago", fecha, céntimos) o ("extorno", índice del pago en eventos)."""
    cs = sorted(({**c, "venc": ultimo_dia_habil(2020, c["mes"]), "cap": 0, "dev": 0, "ip": 0,
                  "ult": None} for c in cuotas),
                key=lambda c: (c["venc"], ARBITRIOS.index(c["arbitrio"])))
    pagado, aplicado, toques = 0, 0, {}
    for k, ev in enumerate(eventos):
        if ev[0] == "extorno":
            _, fecha, monto = eventos[ev[1]]
            pagado -= monto
            for c, i, cap in toques[ev[1]]:
                c["ip"] -= i
                c["cap"] -= cap
                aplicado -= i + cap
            continue
        _, fecha, resto = ev
        pagado += resto
        toques[k] = []
        for c in cs:
            if resto == 0:
                break
            desde = c["venc"] if c["ult"] is None else max(c["venc"], c["ult"])
            tramo = _interes(c["monto"] - c["cap"], desde, fecha) if fecha > desde else 0
            pend = c["dev"] + tramo - c["ip"]
            if c["monto"] - c["cap"] == 0 and pend == 0:
                continue
            i = min(resto, pend)
            cap = min(resto - i, c["monto"] - c["cap"])
            resto -= i + cap
            aplicado += i + cap
            c["dev"] += tramo
            c["ip"] += i
            c["cap"] += cap
            c["ult"] = fecha if c["ult"] is None else max(c["ult"], fecha)
            toques[k].append((c, i, cap))
    interes = deuda = 0
    for c in cs:
        desde = c["venc"] if c["ult"] is None else max(c["venc"], c["ult"])
        ins = c["monto"] - c["cap"]
        tramo = _interes(ins, desde, corte) if corte > desde else 0
        c["interes"] = c["dev"] + tramo
        interes += c["interes"]
        deuda += ins + c["interes"] - c["ip"]
    a_favor = pagado - aplicado
    return {"emitido": sum(c["monto"] for c in cs), "pagado": pagado, "interes": interes,
            "a_favor": a_favor, "saldo": deuda - a_favor, "cuotas": cs}


@pytest.fixture(scope="module")
def anio(tmp_path_factory):
    from geo.flujo import tarifas_almacen

    ruta = tmp_path_factory.mktemp("cobranza") / "oxapampa.gpkg"
    shutil.copy(RAIZ / "capas" / "oxapampa.gpkg", ruta)
    _, _, res = tarifas_almacen(ruta)
    importar_contribuyentes(ruta, "2019-01-01", "prueba")
    emitir(ruta, 2020, None, "prueba", res)

    p = res.predios
    montos = {a: dict(zip(p["codigo"], map(_cent, p[f"{a}_mensual"]), strict=True))
              for a in ARBITRIOS}
    total = {c: sum(montos[a][c] for a in ARBITRIOS) for c in p["codigo"]}
    codigos = sorted(c for c, t in total.items() if t > 0)
    rng = np.random.default_rng(2020)
    tipo = dict(zip(codigos, rng.choice(["puntual", "tardio", "parcial", "moroso"],
                                        size=len(codigos), p=[.45, .25, .15, .15]), strict=True))
    venc = {m: ultimo_dia_habil(2020, m) for m in range(1, 13)}
    # los tres del estado de cuenta a mano pagan en caja; el resto por el banco
    elegidos = {t: next(c for c in codigos if tipo[c] == t and len(
        [a for a in ARBITRIOS if montos[a][c]]) >= 3) for t in ("puntual", "tardio", "parcial")}
    pagos = []  # (predio, fecha, céntimos)
    for c in codigos:
        t = tipo[c]
        for m in range(1, 13):
            if t == "puntual":
                tarde = rng.random() < 0.15
                f = venc[m] + timedelta(days=int(rng.integers(1, 25)) if tarde
                                        else -int(rng.integers(0, 10)))
                pagos.append((c, f, total[c]))
            elif t == "tardio" and m % 3 == 0:
                f = venc[m] + timedelta(days=int(rng.integers(10, 60)))
                pagos.append((c, f, int(total[c] * 3 * 1.015)))
            elif t == "parcial":
                f = venc[m] + timedelta(days=int(rng.integers(0, 30)))
                pagos.append((c, f, max(1, int(total[c] * rng.uniform(.5, .9)))))
    pagos = [x for x in pagos if x[1] <= CORTE]
    # dos morosos firman un plan de pagos de 4 cuotas el 06/07/2020: uno lo cumple (paga
    # cada cuota más el mes corriente antes del vencimiento), el otro paga solo la primera
    # (las cuotas vencen de agosto a noviembre)
    con_plan = [c for c in codigos if tipo[c] == "moroso"][:2]
    caja = {x for x in pagos if x[0] in elegidos.values()}
    eventos = {c: [] for c in elegidos.values()}
    planes_ = {}
    pagado = 0
    op = 0
    for m in range(1, 13):
        banco = sorted((x for x in pagos if x[1].month == m and x not in caja),
                       key=lambda x: x[1])
        if banco:
            filas = []
            for c, f, cent in banco:
                op += 1
                filas.append({"codigo": c, "fecha": f.isoformat(),
                              "monto": f"{cent // 100}.{cent % 100:02d}", "operacion": f"{op}"})
            importar_pagos_banco(ruta, pd.DataFrame(filas), "BN", "prueba")
            pagado += sum(x[2] for x in banco)
        for c, f, cent in sorted((x for x in caja if x[1].month == m), key=lambda x: x[1]):
            r = pagar(ruta, c, Decimal(cent) / 100, f, "caja1")
            eventos[c].append(("pago", f, cent))
            pagado += cent
            if c == elegidos["parcial"] and m == 5:  # cheque rebotado: se extorna
                extornar(ruta, r["pago"], "cheque sin fondos", "jefe")
                eventos[c].append(("extorno", len(eventos[c]) - 1))
                pagado -= cent
        if m == 7:  # se aprueban el 06/07 (ninguno de los dos pagó nada antes)
            for c in con_plan:
                planes_[c] = crear_plan(ruta, c, 4, "2020-07-06", "prueba", "RES-2020-7")
        for c in con_plan:
            if m < 7 or (c == con_plan[1] and m > 8):  # paga solo la cuota 1 (agosto)
                continue
            cron = planes_[c]["cronograma"].set_index("mes")
            cent = total[c] + (int(cron.loc[m, "monto_cent"]) if m in cron.index else 0)
            pagar(ruta, c, Decimal(cent) / 100, venc[m] - timedelta(days=3), "caja1")
            pagado += cent
    morosos_ = [c for c in codigos if tipo[c] == "moroso" and c not in con_plan]
    for f in ("2020-05-15", "2020-08-14", "2020-11-13"):
        registrar_avisos(ruta, [{"predio": c, "fecha": f, "entregado_por": "Cobrador 1"}
                                for c in morosos_], "prueba")
    return {"ruta": ruta, "res": res, "montos": montos, "total": total, "tipo": tipo, "pagado": pagado,
            "elegidos": elegidos, "eventos": eventos, "morosos": morosos_, "planes": planes_,
            "con_plan": con_plan}


@pytest.mark.parametrize("cual", ["puntual", "tardio", "parcial"])
def test_tres_estados_de_cuenta_a_mano(anio, cual):
    c = anio["elegidos"][cual]
    cuotas = [{"mes": m, "arbitrio": a, "monto": anio["montos"][a][c]}
              for m in range(1, 13) for a in ARBITRIOS if anio["montos"][a][c] > 0]
    esperado = a_mano(cuotas, anio["eventos"][c], CORTE)
    e = estado_cuenta(anio["ruta"], c, CORTE)
    assert e.emitido_cent == esperado["emitido"] == 12 * anio["total"][c]
    assert e.pagado_cent == esperado["pagado"]
    assert e.interes_cent == esperado["interes"]
    assert e.a_favor_cent == esperado["a_favor"]
    assert e.saldo_cent == esperado["saldo"]
    assert e.saldo_cent == e.emitido_cent - e.pagado_cent + e.interes_cent
    por_cuota = {(x["mes"], x["arbitrio"]): x["interes"] for x in esperado["cuotas"]}
    assert dict(zip(zip(e.cuotas["mes"], e.cuotas["arbitrio"], strict=True),
                    e.cuotas["interes_cent"], strict=True)) == por_cuota
    if cual == "parcial":
        assert any(ev[0] == "extorno" for ev in anio["eventos"][c])


def test_suma_de_saldos_es_emitido_menos_pagado_mas_interes(anio):
    s = saldos(anio["ruta"], CORTE)
    emitido = 12 * sum(anio["total"].values())
    # los planes: la deuda convertida cuenta como emitida (cuotas del plan) y como pagada
    # (conversión); en efectivo solo agregan el interés del plan
    convertido = sum(p["deuda_cent"] for p in anio["planes"].values())
    interes_plan = sum(int(p["cronograma"]["interes_cent"].sum())
                       for p in anio["planes"].values())
    assert len(anio["planes"]) == 2 and convertido > 0 and interes_plan > 0
    assert int(s["emitido_cent"].sum()) == emitido + convertido + interes_plan
    assert int(s["pagado_cent"].sum()) == anio["pagado"] + convertido
    interes = int(s["interes_cent"].sum())
    assert interes > 0
    assert (int(s["saldo_cent"].sum())
            == int(s["emitido_cent"].sum()) - int(s["pagado_cent"].sum()) + interes
            == emitido + interes_plan - anio["pagado"] + interes)
    # quien nunca pagó debe todo lo emitido más su interés
    m = s.set_index("predio").loc[anio["morosos"]]
    assert (m["saldo_cent"] == m["emitido_cent"] + m["interes_cent"]).all()


def test_morosos_y_mora_por_barrio(anio):
    cuotas, _ = liquidar(anio["ruta"], CORTE)
    t = morosos(anio["ruta"], 2, CORTE, cuotas=cuotas)
    assert set(anio["morosos"]) <= set(t["predio"])
    assert (t["avisos_vigentes"] >= 2).all()
    assert "contribuyente" not in t.columns and "documento" not in t.columns
    assert not set(t["predio"]) & {c for c, x in anio["tipo"].items() if x == "puntual"}
    b = mora_por_zona(anio["ruta"], "barrio", CORTE, cuotas=cuotas)
    # diciembre vence el 31/12: aún no está vencido al corte
    emitido_vencido = 11 * sum(anio["total"].values()) + sum(  # + las 4 cuotas de cada plan
        int(p["cronograma"]["monto_cent"].sum()) for p in anio["planes"].values())
    assert int(b["emitido_cent"].sum()) == emitido_vencido
    assert set(b["mes"]) == set(range(1, 12))
    assert set(b.loc[b["emitido_cent"] > 0, "mes"]) == set(range(1, 12))
    assert (b["mora_pct"].between(0, 100)).all()
    s = mora_por_zona(anio["ruta"], "sector", CORTE, cuotas=cuotas)
    assert int(s["insoluto_cent"].sum()) == int(b["insoluto_cent"].sum())


def test_dos_planes_uno_cumplido_otro_quebrado(anio):
    t = planes(anio["ruta"], CORTE).set_index("predio")
    cumplido, quebrado = anio["con_plan"]
    assert t.loc[cumplido, "estado"] == "cancelado"
    assert t.loc[quebrado, "estado"] == "quebrado"
    assert t.loc[quebrado, "pagadas"] == 1 and t.loc[quebrado, "vencidas_impagas"] == 3
    e = estado_cuenta(anio["ruta"], cumplido, CORTE)
    assert e.cuotas.query("vencida")["saldo_cent"].sum() == 0


def test_ajustes_con_notas_de_credito_mantienen_la_identidad(anio, tmp_path):
    """Sobre una copia del año, el 15/09: marzo se recalcula a la baja (notas de crédito) para un
    moroso, un puntual, uno con plan (su marzo se pagó con la conversión) y uno que paga
    parcial, y al alza para otro; Σ saldos = emitido − pagado + interés sigue al céntimo."""
    ruta = tmp_path / "ajuste.gpkg"
    shutil.copy(anio["ruta"], ruta)
    montos, tipo = anio["montos"], anio["tipo"]
    mayor = {c: max(ARBITRIOS, key=lambda a: montos[a][c]) for c in anio["total"]}
    cambios = {anio["morosos"][0]: -150, anio["elegidos"]["puntual"]: -100,
               anio["con_plan"][0]: -100, anio["elegidos"]["parcial"]: -100,
               next(c for c in sorted(anio["total"]) if tipo.get(c) == "tardio"
                    and c not in anio["elegidos"].values()): 250}
    assert all(montos[mayor[c]][c] > 150 for c in cambios)

    class Recalculo:
        predios = anio["res"].predios.copy()

    p = Recalculo.predios
    for c, delta in cambios.items():
        col = f"{mayor[c]}_mensual"
        fila = p.index[p["codigo"] == c][0]
        p[col] = p[col].astype(object)
        p.at[fila, col] = Decimal(str(p.at[fila, col])) + Decimal(delta) / 100
    d = ajustar(ruta, 2020, 3, "EXP-2020-501", "prueba", Recalculo, "2020-09-15",
                "recálculo de áreas")
    assert dict(zip(d["predio"], d["diferencia_cent"], strict=True)) == cambios
    bajas = d[d["diferencia_cent"] < 0]
    assert (bajas["compensado_cent"] + bajas["imputado_cent"] + bajas["a_favor_cent"]
            == -bajas["diferencia_cent"]).all()
    por = d.set_index("predio")
    assert por.loc[anio["morosos"][0], "compensado_cent"] == 150  # impago: rebaja su marzo
    assert por.loc[anio["con_plan"][0], "compensado_cent"] == 0   # ya convertido: crédito
    assert ajustar(ruta, 2020, 3, "EXP-2020-501", "prueba", Recalculo, "2020-09-15").empty

    s = saldos(ruta, CORTE)
    convertido = sum(p["deuda_cent"] for p in anio["planes"].values())
    interes_plan = sum(int(p["cronograma"]["interes_cent"].sum())
                       for p in anio["planes"].values())
    emitido = 12 * sum(anio["total"].values()) + sum(cambios.values())
    assert int(s["emitido_cent"].sum()) == emitido + convertido + interes_plan
    assert int(s["pagado_cent"].sum()) == anio["pagado"] + convertido  # la nota no es un pago
    interes = int(s["interes_cent"].sum())
    assert (int(s["saldo_cent"].sum())
            == int(s["emitido_cent"].sum()) - int(s["pagado_cent"].sum()) + interes
            == emitido + interes_plan - anio["pagado"] + interes)
    # el moroso debe lo emitido (ya rebajado) más su interés; nada se le imputó de más
    m = s.set_index("predio").loc[anio["morosos"][0]]
    assert m["saldo_cent"] == m["emitido_cent"] + m["interes_cent"]
    assert m["emitido_cent"] == 12 * anio["total"][anio["morosos"][0]] - 150

"""Planes de pago (fraccionamiento) de la deuda vencida de un predio.

Cómo se registra sin reescribir la historia
-------------------------------------------
Al aprobar un plan el día ``F`` (una sola transacción):

1. Se consolida la deuda **vencida** del predio a ``F``: insoluto + interés (TIM) de cada cuota.
2. Se registra un pago de origen ``fraccionamiento`` por ese total, imputado a esas cuotas
   (las cancela): no es dinero, es la conversión de la deuda en el plan.
3. Se emiten ``N`` cuotas del plan (obligaciones ``tipo='plan'``, arbitrio
   ``fraccionamiento``), una por mes, que vencen el último día hábil de los meses siguientes.
   Amortización constante: capital ``D/N`` (el último absorbe el redondeo) más el interés del
   mes sobre el saldo del plan a la tasa ``TIM(F) × interes_pct_de_tim / 100`` (``tim.toml``,
   sección ``[fraccionamiento]``), redondeado al céntimo.

Desde ahí todo sigue igual: los pagos se imputan a lo más antiguo; una cuota del plan vencida
e impaga genera TIM como cualquier otra. Así la identidad se mantiene: Σ saldos = emitido
(incluidas las cuotas del plan) − pagado (incluida la conversión) + interés; en efectivo:
emitido original + interés del plan − pagado en efectivo + TIM.

Cumplimiento (a una fecha): ``cancelado`` si no queda saldo de las cuotas del plan;
``quebrado`` (pérdida del fraccionamiento) si hay ``cuotas_impagas_perdida`` o más cuotas del
plan vencidas con saldo; si no, ``vigente``. Un plan quebrado no se borra: su deuda ya está en
las cuotas del plan y sigue generando TIM; la municipalidad puede iniciar la cobranza coactiva.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from geo.almacen.base import instante_texto
from geo.cobranza.calendario import ultimo_dia_habil
from geo.cobranza.estado import liquidar
from geo.cobranza.intereses import RUTA_TIM, TablaTIM, cargar_tim, redondear
from geo.cobranza.pagos import cuotas_de, imputar
from geo.cobranza.registro import _fecha
from geo.cobranza.tablas import hay_cobranza, lectura, predios_existentes, transaccion
from geo.errores import ErrorDatos, ErrorLectura


@dataclass(frozen=True)
class ReglasPlan:
    interes_pct_de_tim: Decimal
    cuotas_maximas: int
    cuotas_impagas_perdida: int


def cargar_reglas(ruta: str | Path = RUTA_TIM) -> ReglasPlan:
    try:
        d = tomllib.loads(Path(ruta).read_text(encoding="utf-8"))["fraccionamiento"]
        return ReglasPlan(Decimal(str(d["interes_pct_de_tim"])), int(d["cuotas_maximas"]),
                          int(d["cuotas_impagas_perdida"]))
    except (OSError, KeyError, ValueError, ArithmeticError, tomllib.TOMLDecodeError) as e:
        raise ErrorLectura(f"No se pudo leer la sección [fraccionamiento] de {ruta} ({e}).",
                           "PLAN_REGLAS_ILEGIBLES") from e


def cronograma(deuda_cent: int, cuotas: int, tasa_mensual_pct: Decimal, fecha: date) -> list[dict]:
    """Cuotas del plan: ``numero``, ``anio``, ``mes``, ``vencimiento``, ``capital_cent``,
    ``interes_cent``, ``monto_cent`` (amortización constante, interés sobre el saldo)."""
    base, resto = divmod(deuda_cent, cuotas)
    saldo, filas = deuda_cent, []
    for k in range(1, cuotas + 1):
        capital = base + (resto if k == cuotas else 0)
        interes = redondear(Decimal(saldo) * tasa_mensual_pct / 100)
        m0 = fecha.month - 1 + k
        anio, mes = fecha.year + m0 // 12, m0 % 12 + 1
        filas.append({"numero": k, "anio": anio, "mes": mes,
                      "vencimiento": ultimo_dia_habil(anio, mes), "capital_cent": capital,
                      "interes_cent": interes, "monto_cent": capital + interes})
        saldo -= capital
    return filas


def crear_plan(ruta: str | Path, predio: str, cuotas: int, fecha, usuario: str,
               expediente: str | None = None, tabla: TablaTIM | None = None,
               reglas: ReglasPlan | None = None) -> dict:
    """Aprueba un plan de ``cuotas`` cuotas mensuales para la deuda vencida de ``predio`` a
    ``fecha``. Devuelve el plan con su cronograma (céntimos)."""
    fecha = _fecha(fecha)
    tabla = tabla or cargar_tim()
    reglas = reglas or cargar_reglas()
    if not 2 <= cuotas <= reglas.cuotas_maximas:
        raise ErrorDatos(f"Un plan tiene de 2 a {reglas.cuotas_maximas} cuotas (se pidió "
                         f"{cuotas}).", "PLAN_CUOTAS_INVALIDAS")
    tasa = tabla.tim(fecha) * reglas.interes_pct_de_tim / 100
    instante = instante_texto()
    with transaccion(ruta) as con:
        if not predios_existentes(con, [predio]) and not con.execute(
                "select 1 from cob_obligaciones where predio = ?", (predio,)).fetchone():
            raise ErrorDatos(f"No existe el predio {predio}. Revise el código.",
                             "PREDIO_INEXISTENTE")
        vigentes = [p for p in _planes_con(con, predio)
                    if _estado(con, p, fecha, tabla, reglas)[0] == "vigente"]
        if vigentes:
            raise ErrorDatos(f"El predio {predio} ya tiene el plan {vigentes[0]} vigente.",
                             "PLAN_VIGENTE")
        vencidas = [c for c in cuotas_de(con, [predio])[predio] if c.vencimiento < fecha]
        deuda = sum(c.insoluto + c.devengado + c.tramo(fecha, tabla) - c.interes_pagado
                    for c in vencidas)
        if deuda <= 0:
            raise ErrorDatos(f"El predio {predio} no tiene deuda vencida al {fecha}: no hay "
                             "nada que fraccionar.", "SIN_DEUDA")
        filas_plan = cronograma(deuda, cuotas, tasa, fecha)
        pago = (con.execute("select max(id) from cob_pagos").fetchone()[0] or 0) + 1
        con.execute("insert into cob_pagos (id, predio, fecha, monto_cent, origen, operacion, "
                    "extorna, motivo, usuario, instante) values (?, ?, ?, ?, 'fraccionamiento', "
                    "?, null, ?, ?, ?)", (pago, predio, fecha.isoformat(), deuda,
                                          f"plan-{pago}", "conversión a plan de pagos",
                                          usuario, instante))
        aplic = imputar(vencidas, fecha, deuda, tabla)
        assert sum(i + c for _, _, i, c in aplic) == deuda  # cubre exactamente lo vencido
        con.executemany("insert into cob_aplicaciones (pago, obligacion, fecha, devengado_cent, "
                        "interes_cent, capital_cent) values (?, ?, ?, ?, ?, ?)",
                        [(pago, o, fecha.isoformat(), d, i, c) for o, d, i, c in aplic])
        cur = con.execute(
            "insert into cob_emisiones (anio, mes, tipo, expediente, usuario, instante, "
            "obligaciones, total_cent) values (?, ?, 'plan', ?, ?, ?, ?, ?)",
            (fecha.year, fecha.month, expediente, usuario, instante, cuotas,
             sum(f["monto_cent"] for f in filas_plan)))
        emision = cur.lastrowid
        barrio, sector = con.execute("select barrio, sector from cob_obligaciones where "
                                     "predio = ? order by id desc limit 1", (predio,)).fetchone()
        con.executemany(
            "insert into cob_obligaciones (emision, predio, contribuyente, anio, mes, arbitrio, "
            "tipo, monto_cent, vencimiento, barrio, sector) values "
            "(?, ?, null, ?, ?, 'fraccionamiento', 'plan', ?, ?, ?, ?)",
            [(emision, predio, f["anio"], f["mes"], f["monto_cent"],
              f["vencimiento"].isoformat(), barrio, sector) for f in filas_plan])
        cur = con.execute(
            "insert into cob_planes (predio, fecha, deuda_cent, cuotas, tasa_mensual_pct, pago, "
            "emision, expediente, usuario, instante) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (predio, fecha.isoformat(), deuda, cuotas, str(tasa), pago, emision, expediente,
             usuario, instante))
    return {"plan": cur.lastrowid, "predio": predio, "fecha": fecha, "deuda_cent": deuda,
            "tasa_mensual_pct": tasa, "cronograma": pd.DataFrame(filas_plan)}


def _planes_con(con, predio: str | None = None) -> list[int]:
    if predio is None:
        return [r[0] for r in con.execute("select id from cob_planes order by id")]
    return [r[0] for r in con.execute("select id from cob_planes where predio = ? order by id",
                                      (predio,))]


def _estado(con, plan: int, fecha: date, tabla, reglas) -> tuple[str, int, int]:
    """(estado, cuotas vencidas impagas, saldo céntimos) sin abrir otra conexión."""
    predio, emision = con.execute("select predio, emision from cob_planes where id = ?",
                                  (plan,)).fetchone()
    cuotas = [c for c in cuotas_de(con, [predio])[predio]
              if con.execute("select emision from cob_obligaciones where id = ?",
                             (c.id,)).fetchone()[0] == emision]
    saldo = sum(c.insoluto + c.devengado + c.tramo(fecha, tabla) - c.interes_pagado
                for c in cuotas)
    impagas = sum(1 for c in cuotas if c.vencimiento < fecha)
    if not cuotas:
        return "cancelado", 0, 0
    return ("quebrado" if impagas >= reglas.cuotas_impagas_perdida else "vigente"), impagas, saldo


def planes(ruta: str | Path, fecha=None, tabla: TablaTIM | None = None,
           reglas: ReglasPlan | None = None) -> pd.DataFrame:
    """Cumplimiento de todos los planes a ``fecha``: por plan, cuotas pagadas, vencidas
    impagas, saldo y ``estado`` (``vigente``, ``cancelado`` o ``quebrado``)."""
    fecha = _fecha(fecha or date.today())
    tabla = tabla or cargar_tim()
    reglas = reglas or cargar_reglas()
    with lectura(ruta) as con:
        if not hay_cobranza(con) or not con.execute(
                "select 1 from sqlite_master where name = 'cob_planes'").fetchone():
            return pd.DataFrame(columns=["plan", "predio", "estado"])
        info = pd.read_sql_query("select id as plan, predio, fecha, deuda_cent, cuotas, "
                                 "tasa_mensual_pct, emision from cob_planes order by id", con)
    if info.empty:
        return pd.DataFrame(columns=["plan", "predio", "estado"])
    c, _ = liquidar(ruta, fecha, list(info["predio"].unique()), tabla)
    with lectura(ruta) as con:
        emis = dict(con.execute("select id, emision from cob_obligaciones where tipo = 'plan'"))
    c = c[c["id"].map(emis).notna()].copy()
    c["emision"] = c["id"].map(emis)
    filas = []
    for p in info.itertuples():
        cu = c[c["emision"] == p.emision]
        vencidas = cu[cu["vencida"] & (cu["saldo_cent"] > 0)]
        saldo = int(cu["saldo_cent"].sum())
        estado = ("cancelado" if saldo <= 0 else
                  "quebrado" if len(vencidas) >= reglas.cuotas_impagas_perdida else "vigente")
        filas.append({"plan": p.plan, "predio": p.predio, "fecha": p.fecha,
                      "deuda_cent": p.deuda_cent, "cuotas": p.cuotas,
                      "pagadas": int((cu["saldo_cent"] <= 0).sum()),
                      "vencidas_impagas": len(vencidas), "saldo_cent": saldo, "estado": estado})
    return pd.DataFrame(filas)

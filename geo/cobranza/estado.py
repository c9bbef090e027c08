"""Estado de cuenta de un predio a una fecha: deuda por mes y arbitrio, interés, pagos, saldo.

Por cada obligación, a la fecha ``F`` (solo lo aplicado con fecha ≤ ``F``)::

    insoluto = monto − capital pagado
    interés  = devengado (tramos cerrados por pagos) + tramo abierto hasta F (redondeado)
    saldo    = insoluto + interés − interés pagado

y por predio ``saldo = Σ saldos de cuotas − saldo a favor``, con ``saldo a favor = pagos −
lo aplicado``. Una nota de crédito (ajuste hacia abajo) es una cuota negativa que su
compensación (un pago de monto 0, ver :mod:`geo.cobranza.pagos`) deja saldada; el emitido
incluye esas cuotas negativas. Así, sumando sobre predios: **Σ saldos = emitido − pagado + interés**, al
céntimo (los pagos con fecha ≤ F; un extorno es un pago negativo).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from geo.cobranza.intereses import TablaTIM, cargar_tim, interes_cent
from geo.cobranza.registro import _fecha
from geo.cobranza.tablas import ORDEN_IMPUTACION, hay_cobranza, lectura
from geo.errores import ErrorDatos

_COLS = ["id", "predio", "anio", "mes", "arbitrio", "tipo", "vencimiento", "monto_cent",
         "barrio", "sector", "capital_cent", "devengado_cent", "interes_pagado_cent", "ultima"]


def _sumas_tim(desdes: np.ndarray, hasta: date, tabla: TablaTIM) -> dict:
    return {d: tabla.suma_dias(d, hasta) for d in set(desdes.tolist())}


def interes_abierto(insoluto: np.ndarray, desde: np.ndarray, hasta: date,
                    tabla: TablaTIM) -> np.ndarray:
    """Tramo abierto de interés de muchas cuotas a la vez (céntimos, mismo redondeo que
    :func:`geo.cobranza.intereses.interes_cent`: mitad hacia arriba)."""
    sumas = _sumas_tim(desde, hasta, tabla)
    escala = 10_000
    if any(s * escala != int(s * escala) for s in sumas.values()):  # TIM con > 4 decimales
        return np.array([interes_cent(int(i), d, hasta, tabla)
                         for i, d in zip(insoluto, desde, strict=True)], dtype=np.int64)
    s = np.array([int(sumas[d] * escala) for d in desde.tolist()], dtype=np.int64)
    num = np.maximum(insoluto, 0).astype(np.int64) * s
    den = 3000 * escala
    return (2 * num + den) // (2 * den)


def liquidar(ruta: str | Path, fecha=None, predios: list[str] | None = None,
             tabla: TablaTIM | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Todas las cuotas (de ``predios`` o de todos) liquidadas a ``fecha`` (por defecto hoy).

    Devuelve ``(cuotas, pagos)``: cuotas con ``insoluto_cent``, ``interes_cent``,
    ``interes_pagado_cent``, ``saldo_cent`` y ``vencida``; pagos con fecha ≤ ``fecha``.
    """
    fecha = _fecha(fecha or date.today())
    tabla = tabla or cargar_tim()
    f = fecha.isoformat()
    with lectura(ruta) as con:
        if not hay_cobranza(con):
            return pd.DataFrame(columns=_COLS), pd.DataFrame()
        donde, params = "", [f]
        if predios is not None:
            donde = f"where o.predio in ({','.join('?' * len(predios))})"
            params += list(predios)
        c = pd.read_sql_query(
            "select o.id, o.predio, o.anio, o.mes, o.arbitrio, o.tipo, o.vencimiento, "
            "o.monto_cent, o.barrio, o.sector, coalesce(sum(a.capital_cent), 0), "
            "coalesce(sum(a.devengado_cent), 0), coalesce(sum(a.interes_cent), 0), "
            "max(a.fecha) from cob_obligaciones o left join cob_aplicaciones a "
            f"on a.obligacion = o.id and a.fecha <= ? {donde} group by o.id", con,
            params=params)
        donde_p = "" if predios is None else f"and predio in ({','.join('?' * len(predios))})"
        pagos = pd.read_sql_query(
            "select id, predio, fecha, monto_cent, origen, operacion, extorna from cob_pagos "
            f"where fecha <= ? {donde_p} order by fecha, id", con,
            params=[f] + ([] if predios is None else list(predios)))
        aplicado = pd.read_sql_query(
            "select pago, sum(interes_cent + capital_cent) as aplicado_cent from "
            "cob_aplicaciones where fecha <= ? group by pago", con, params=[f])
    c.columns = _COLS
    # fechas ISO: se comparan como texto; pocas distintas → se convierten una vez
    venc, ult = c["vencimiento"].astype(object), c["ultima"].astype(object)
    desde_txt = venc.where(ult.isna() | (ult.fillna("") < venc), ult)
    fechas = {t: date.fromisoformat(t) for t in set(desde_txt) | set(venc) | set(ult.dropna())}
    c["vencimiento"] = venc.map(fechas)
    c["ultima"] = ult.map(fechas)
    c["insoluto_cent"] = c["monto_cent"] - c["capital_cent"]
    desde = desde_txt.map(fechas).to_numpy(dtype=object)
    c["interes_cent"] = c["devengado_cent"] + interes_abierto(
        c["insoluto_cent"].to_numpy(), desde, fecha, tabla)
    c["saldo_cent"] = c["insoluto_cent"] + c["interes_cent"] - c["interes_pagado_cent"]
    c["vencida"] = c["vencimiento"] < fecha
    c["orden"] = c["arbitrio"].map(ORDEN_IMPUTACION.index)
    c = c.sort_values(["predio", "vencimiento", "orden", "id"]).drop(columns="orden")
    pagos = pagos.merge(aplicado, left_on="id", right_on="pago", how="left").drop(columns="pago")
    pagos["aplicado_cent"] = pagos["aplicado_cent"].fillna(0).astype(np.int64)
    return c.reset_index(drop=True), pagos


def saldos(ruta: str | Path, fecha=None, tabla: TablaTIM | None = None) -> pd.DataFrame:
    """Por predio, a ``fecha``: ``emitido_cent``, ``pagado_cent``, ``interes_cent``,
    ``a_favor_cent`` y ``saldo_cent`` (= emitido − pagado + interés)."""
    c, p = liquidar(ruta, fecha, tabla=tabla)
    por = c.groupby("predio").agg(emitido_cent=("monto_cent", "sum"),
                                  interes_cent=("interes_cent", "sum"),
                                  deuda_cent=("saldo_cent", "sum"))
    pg = p.groupby("predio").agg(pagado_cent=("monto_cent", "sum"),
                                 aplicado_cent=("aplicado_cent", "sum"))
    t = por.join(pg, how="outer").fillna(0).astype(np.int64)
    t["a_favor_cent"] = t["pagado_cent"] - t["aplicado_cent"]
    t["saldo_cent"] = t["deuda_cent"] - t["a_favor_cent"]
    return t.drop(columns=["aplicado_cent"]).reset_index()


@dataclass
class EstadoCuenta:
    predio: str
    fecha: date
    cuotas: pd.DataFrame
    pagos: pd.DataFrame

    @property
    def emitido_cent(self) -> int:
        return int(self.cuotas["monto_cent"].sum())

    @property
    def pagado_cent(self) -> int:
        return int(self.pagos["monto_cent"].sum())

    @property
    def interes_cent(self) -> int:
        return int(self.cuotas["interes_cent"].sum())

    @property
    def a_favor_cent(self) -> int:
        return int((self.pagos["monto_cent"] - self.pagos["aplicado_cent"]).sum())

    @property
    def saldo_cent(self) -> int:
        return int(self.cuotas["saldo_cent"].sum()) - self.a_favor_cent

    def texto(self) -> str:
        return texto_estado(self)

    def html(self) -> str:
        return html_estado(self)


def estado_cuenta(ruta: str | Path, predio: str, fecha=None,
                  tabla: TablaTIM | None = None) -> EstadoCuenta:
    """Estado de cuenta de ``predio`` a ``fecha`` (por defecto hoy)."""
    fecha = _fecha(fecha or date.today())
    c, p = liquidar(ruta, fecha, [predio], tabla)
    if c.empty and p.empty:
        raise ErrorDatos(f"El predio {predio} no tiene obligaciones emitidas ni pagos. Revise "
                         "el código (o emita primero con 'catastro emitir').",
                         "SIN_OBLIGACIONES")
    return EstadoCuenta(predio, fecha, c, p)


def soles(cent: int) -> str:
    signo = "-" if cent < 0 else ""
    return f"{signo}S/ {abs(cent) // 100:,}.{abs(cent) % 100:02d}"



def texto_estado(e: EstadoCuenta) -> str:
    lineas = [f"ESTADO DE CUENTA · predio {e.predio} · al {e.fecha:%d/%m/%Y}",
              ("Arbitrios municipales (Ordenanza 466-2019-MPO). Interés moratorio: TIM vigente, "
              "interés simple diario desde el día siguiente al vencimiento."), "",
              (f"{'período':<9}{'arbitrio':<16}{'vence':<12}{'emitido':>12}{'pagado':>12}"
              f"{'interés':>11}{'int. pag.':>11}{'saldo':>12}  estado")]
    for f in e.cuotas.itertuples():
        nota = f.tipo == "ajuste" and f.monto_cent < 0
        estado = ("aplicada" if nota and f.saldo_cent == 0 else "pagada" if f.saldo_cent == 0
                  else "vencida" if f.vencida else "por vencer")
        ajuste = " (nota de crédito)" if nota else " (ajuste)" if f.tipo == "ajuste" else ""
        lineas.append(
            f"{f.mes:02d}/{f.anio:<6}{f.arbitrio:<16}{f.vencimiento:%d/%m/%Y}  "
            f"{soles(f.monto_cent):>10}{soles(f.capital_cent):>12}{soles(f.interes_cent):>11}"
            f"{soles(f.interes_pagado_cent):>11}{soles(f.saldo_cent):>12}  {estado}{ajuste}")
    lineas += ["", "Pagos:"]
    if e.pagos.empty:
        lineas.append("  (ninguno)")
    for p in e.pagos.itertuples():
        tipo = (f"extorno del pago {int(p.extorna)}" if pd.notna(p.extorna)
                else "compensación de nota de crédito" if p.origen == "nota_credito"
                else p.origen)
        op = f" op. {p.operacion}" if isinstance(p.operacion, str) and p.operacion else ""
        lineas.append(f"  {p.fecha}  {soles(p.monto_cent):>12}  pago {p.id} · {tipo}{op}")
    lineas += ["",
               f"Total emitido         {soles(e.emitido_cent):>14}",
               f"Total pagado          {soles(e.pagado_cent):>14}",
               f"Interés moratorio     {soles(e.interes_cent):>14}",
               f"Saldo a favor         {soles(e.a_favor_cent):>14}",
               (f"SALDO A PAGAR         {soles(e.saldo_cent):>14}"
               "   (= emitido − pagado + interés)")]
    return "\n".join(lineas)


def html_estado(e: EstadoCuenta) -> str:
    """Página HTML imprimible (sin red, sin datos personales)."""
    h = html.escape
    filas = "".join(
        f"<tr><td>{f.mes:02d}/{f.anio}</td><td>{h(f.arbitrio)}</td>"
        f"<td>{f.vencimiento:%d/%m/%Y}</td><td>{soles(f.monto_cent)}</td>"
        f"<td>{soles(f.capital_cent)}</td><td>{soles(f.interes_cent)}</td>"
        f"<td>{soles(f.interes_pagado_cent)}</td><td>{soles(f.saldo_cent)}</td></tr>"
        for f in e.cuotas.itertuples())
    pagos = "".join(f"<tr><td>{h(str(p.fecha))}</td><td>{soles(p.monto_cent)}</td>"
                    f"<td>{h(str(p.origen))}</td>"
                    f"<td>{h(p.operacion if isinstance(p.operacion, str) else '')}</td></tr>"
                    for p in e.pagos.itertuples())
    return f"""<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Estado de cuenta {h(e.predio)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #999;padding:2px 6px;text-align:right}}td:nth-child(-n+3){{text-align:left}}
@media print{{body{{margin:0}}}}</style></head><body>
<h1>Estado de cuenta · predio {h(e.predio)}</h1>
<p>Al {e.fecha:%d/%m/%Y}. Arbitrios municipales (Ordenanza 466-2019-MPO, Art. 6): vencen el
último día hábil de cada mes; luego se actualizan con la TIM vigente (interés simple diario).</p>
<table><tr><th>Período</th><th>Arbitrio</th><th>Vence</th><th>Emitido</th><th>Pagado</th>
<th>Interés</th><th>Interés pagado</th><th>Saldo</th></tr>{filas}</table>
<h2>Pagos</h2><table><tr><th>Fecha</th><th>Monto</th><th>Origen</th><th>Operación</th></tr>
{pagos}</table>
<h2>Resumen</h2><table>
<tr><td>Total emitido</td><td>{soles(e.emitido_cent)}</td></tr>
<tr><td>Total pagado</td><td>{soles(e.pagado_cent)}</td></tr>
<tr><td>Interés moratorio</td><td>{soles(e.interes_cent)}</td></tr>
<tr><td>Saldo a favor</td><td>{soles(e.a_favor_cent)}</td></tr>
<tr><th>Saldo a pagar</th><th>{soles(e.saldo_cent)}</th></tr></table>
</body></html>
"""

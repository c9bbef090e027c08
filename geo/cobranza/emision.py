"""Emisión mensual de los arbitrios (Ordenanza 466-2019-MPO, Art. 6) y ajustes.

Cada predio recibe, por mes y por arbitrio, una obligación con el monto mensual del motor de
tarifas (``ResultadoTarifas.predios``: ``<arbitrio>_mensual``) y vence el último día hábil del
mes. Un mes se emite **una sola vez** (índice único en ``cob_emisiones`` y en
``cob_obligaciones``): emitirlo de nuevo es un error y no escribe nada. Si el catastro cambió,
:func:`ajustar` emite la diferencia como obligaciones de tipo ``ajuste`` con su expediente y
motivo (una rebaja, como nota de crédito: obligación negativa); lo emitido nunca se
reescribe.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from geo.almacen.base import instante_texto
from geo.cobranza.calendario import ultimo_dia_habil
from geo.cobranza.registro import titulares_con
from geo.cobranza.tablas import ARBITRIOS, transaccion
from geo.errores import ErrorDatos

log = logging.getLogger(__name__)


def montos_mensuales(resultado) -> pd.DataFrame:
    """Del resultado del motor: una fila por predio y arbitrio con monto > 0, en céntimos.

    Columnas ``predio``, ``arbitrio``, ``monto_cent``, ``sector``.
    """
    p = resultado.predios
    partes = []
    for a in ARBITRIOS:
        cent = [int((Decimal(str(v)) * 100).to_integral_exact()) for v in p[f"{a}_mensual"]]
        partes.append(pd.DataFrame({"predio": p["codigo"].astype(str).to_numpy(), "arbitrio": a,
                                    "monto_cent": cent,
                                    "sector": p.get("sector_barrido", pd.Series(
                                        [None] * len(p))).astype(object).to_numpy()}))
    t = pd.concat(partes, ignore_index=True)
    return t[t["monto_cent"] > 0].reset_index(drop=True)


def _montos(ruta, resultado):
    if resultado is None:
        from geo.flujo import tarifas_almacen

        _, _, resultado = tarifas_almacen(ruta)
    return montos_mensuales(resultado)


def emitir(ruta: str | Path, anio: int, meses: list[int] | None = None, usuario: str = "sistema",
           resultado=None) -> pd.DataFrame:
    """Emite los meses ``meses`` (todos: la cuponera del año) en una sola transacción.

    ``resultado``: un :class:`geo.tarifas.ResultadoTarifas` ya calculado (si no, se calcula
    del almacén). Devuelve un resumen por mes (obligaciones, total S/, vencimiento).
    """
    meses = sorted(set(meses or range(1, 13)))
    malos = [m for m in meses if not 1 <= m <= 12]
    if malos:
        raise ErrorDatos(f"Mes {malos[0]} inválido: use 1 a 12.", "MES_INVALIDO")
    vencimientos = {m: ultimo_dia_habil(anio, m) for m in meses}  # falla antes de escribir
    montos = _montos(ruta, resultado)
    barrios = barrio_de_predios(ruta)
    instante = instante_texto()
    resumen = []
    with transaccion(ruta) as con:
        ya = con.execute(f"select mes, instante, usuario from cob_emisiones where tipo = 'emision' "
                         f"and anio = ? and mes in ({','.join('?' * len(meses))})",
                         (anio, *meses)).fetchall()
        if ya:
            raise _duplicada(anio, ya)
        existentes = {r[0] for r in con.execute("select codigo from predios")}
        fuera = sorted(set(montos["predio"]) - existentes)
        if fuera:
            raise ErrorDatos(f"El cálculo de tarifas trae {len(fuera)} predios que no están en "
                             f"el almacén (el primero: {fuera[0]}); recalcule las tarifas con "
                             "este almacén.", "PREDIO_INEXISTENTE")
        for m in meses:
            tit = titulares_con(con, date(anio, m, 1)) if _hay_titulares(con) else None
            contrib = (montos["predio"].map(dict(zip(tit["predio"], tit["contribuyente"],
                                                     strict=True)))
                       if tit is not None else pd.Series([None] * len(montos)))
            total = int(montos["monto_cent"].sum())
            try:
                cur = con.execute(
                    "insert into cob_emisiones (anio, mes, tipo, expediente, usuario, instante, "
                    "obligaciones, total_cent) values (?, ?, 'emision', null, ?, ?, ?, ?)",
                    (anio, m, usuario, instante, len(montos), total))
            except sqlite3.IntegrityError:
                raise _duplicada(anio, [(m, "?", "?")]) from None
            emision = cur.lastrowid
            con.executemany(
                "insert into cob_obligaciones (emision, predio, contribuyente, anio, mes, "
                "arbitrio, tipo, monto_cent, vencimiento, barrio, sector) values "
                "(?, ?, ?, ?, ?, ?, 'emision', ?, ?, ?, ?)",
                zip([emision] * len(montos), montos["predio"], _nulos(contrib),
                    [anio] * len(montos), [m] * len(montos), montos["arbitrio"],
                    montos["monto_cent"].astype(int).tolist(),
                    [vencimientos[m].isoformat()] * len(montos),
                    [barrios.get(p) for p in montos["predio"]], _nulos(montos["sector"]),
                    strict=True))
            resumen.append({"anio": anio, "mes": m, "vencimiento": vencimientos[m],
                            "obligaciones": len(montos),
                            "predios": montos["predio"].nunique(),
                            "total": Decimal(total) / 100})
    return pd.DataFrame(resumen)


MOTIVO_AJUSTE = "recálculo de los arbitrios por cambio en el catastro"


def ajustar(ruta: str | Path, anio: int, mes: int, expediente: str, usuario: str,
            resultado=None, fecha=None, motivo: str = MOTIVO_AJUSTE,
            tabla=None) -> pd.DataFrame:
    """Emite la diferencia entre lo que corresponde hoy y lo ya emitido (más ajustes) del mes.

    Por predio y arbitrio, una obligación nueva de tipo ``ajuste`` con el vencimiento del mes,
    ligada a una emisión con ``expediente`` y ``motivo``; lo emitido nunca se reescribe:

    * diferencia positiva: una obligación por la diferencia;
    * diferencia negativa: una **nota de crédito** (obligación negativa) compensada el día
      ``fecha`` (por defecto hoy): rebaja el insoluto de ese mes y arbitrio; si ya estaba
      pagado, el exceso se imputa a la deuda más antigua del predio o queda como saldo a
      favor (regla de interés en :mod:`geo.cobranza.pagos`: el interés devengado hasta
      ``fecha`` sobre el monto original se mantiene; desde ``fecha``, corre sobre el rebajado).

    Idempotente: la diferencia se mide contra todo lo emitido del mes (notas incluidas), así
    que repetir el ajuste con el mismo cálculo no encuentra nada y no escribe nada.

    Devuelve una fila por diferencia: ``predio``, ``arbitrio``, ``emitido_cent``,
    ``monto_cent``, ``diferencia_cent``, y para las rebajas ``compensado_cent`` (del mismo
    mes), ``imputado_cent`` (a otras deudas) y ``a_favor_cent`` (0 en las subidas).
    """
    from geo.cobranza.intereses import cargar_tim
    from geo.cobranza.pagos import aplicar_notas_credito
    from geo.cobranza.registro import _fecha

    if not str(expediente or "").strip():
        raise ErrorDatos("Un ajuste necesita --expediente.", "EXPEDIENTE_FALTANTE")
    if not str(motivo or "").strip():
        raise ErrorDatos("Un ajuste necesita un motivo (--motivo).", "MOTIVO_FALTANTE")
    fecha = _fecha(fecha or date.today())
    tabla = tabla or cargar_tim()
    montos = _montos(ruta, resultado)
    instante = instante_texto()
    columnas = ["predio", "arbitrio", "emitido_cent", "monto_cent", "diferencia_cent",
                "compensado_cent", "imputado_cent", "a_favor_cent"]
    with transaccion(ruta) as con:
        filas = con.execute("select predio, arbitrio, sum(monto_cent), max(vencimiento), "
                            "max(contribuyente), max(barrio), max(sector) from cob_obligaciones "
                            "where anio = ? and mes = ? and tipo != 'plan' "
                            "group by predio, arbitrio", (anio, mes)).fetchall()
        if not filas:
            raise ErrorDatos(f"El mes {mes:02d}/{anio} no está emitido: emítalo primero.",
                             "EMISION_FALTANTE")
        previo = pd.DataFrame(filas, columns=["predio", "arbitrio", "emitido_cent",
                                              "vencimiento", "contribuyente", "barrio",
                                              "sector_previo"])
        d = montos.merge(previo, on=["predio", "arbitrio"], how="outer")
        d["emitido_cent"] = d["emitido_cent"].fillna(0).astype(int)
        d["monto_cent"] = d["monto_cent"].fillna(0).astype(int)
        d["diferencia_cent"] = d["monto_cent"] - d["emitido_cent"]
        d = d[d["diferencia_cent"] != 0].reset_index(drop=True)
        for c in ("compensado_cent", "imputado_cent", "a_favor_cent"):
            d[c] = 0
        if d.empty:  # nada que ajustar: no se escribe ni una emisión vacía
            return d[columnas]
        venc = ultimo_dia_habil(anio, mes).isoformat()
        cur = con.execute(
            "insert into cob_emisiones (anio, mes, tipo, expediente, motivo, usuario, instante, "
            "obligaciones, total_cent) values (?, ?, 'ajuste', ?, ?, ?, ?, ?, ?)",
            (anio, mes, expediente, motivo, usuario, instante, len(d),
             int(d["diferencia_cent"].sum())))
        emision = cur.lastrowid
        notas = []
        for i, f in enumerate(d.itertuples()):
            # el sector nuevo si el predio sigue en el cálculo; si salió, el de lo emitido
            sector = _nulo(f.sector) if _nulo(f.sector) is not None else _nulo(f.sector_previo)
            cur = con.execute(
                "insert into cob_obligaciones (emision, predio, contribuyente, anio, mes, "
                "arbitrio, tipo, monto_cent, vencimiento, barrio, sector) values "
                "(?, ?, ?, ?, ?, ?, 'ajuste', ?, ?, ?, ?)",
                (emision, f.predio, _nulo(f.contribuyente), anio, mes, f.arbitrio,
                 int(f.diferencia_cent), venc, _nulo(f.barrio), sector))
            if f.diferencia_cent < 0:
                notas.append({"fila": i, "id": cur.lastrowid, "predio": f.predio, "anio": anio,
                              "mes": mes, "arbitrio": f.arbitrio,
                              "monto_cent": int(f.diferencia_cent)})
        if notas:
            hechos = aplicar_notas_credito(con, notas, fecha, f"{expediente}: {motivo}",
                                           usuario, tabla)
            for n, h in zip(notas, hechos, strict=True):
                for c in ("compensado_cent", "imputado_cent", "a_favor_cent"):
                    d.loc[n["fila"], c] = h[c]
    log.info("Ajuste %02d/%d (%s): %d diferencias, neto %d céntimos", mes, anio, expediente,
             len(d), int(d["diferencia_cent"].sum()))
    return d[columnas]


def barrio_de_predios(ruta: str | Path) -> dict[str, str]:
    """Código → barrio: la columna ``barrio`` de los predios; si falta o está vacía, el
    polígono de la capa ``barrios`` que contiene un punto interior del predio."""
    import geopandas as gpd

    from geo.capas import listar_capas

    predios = gpd.read_file(ruta, layer="predios", engine="pyogrio")
    barrio = (predios["barrio"] if "barrio" in predios
              else pd.Series([None] * len(predios), index=predios.index)).astype(object)
    vacios = barrio.isna() | (barrio.astype(str).str.strip() == "")
    if vacios.any() and "barrios" in listar_capas(ruta):
        capa = gpd.read_file(ruta, layer="barrios", engine="pyogrio").to_crs(predios.crs)
        puntos = gpd.GeoDataFrame(geometry=predios.loc[vacios].representative_point(),
                                  crs=predios.crs)
        unidos = gpd.sjoin(puntos, capa[["barrio", "geometry"]], predicate="within")
        unidos = unidos[~unidos.index.duplicated()]
        barrio.loc[unidos.index] = unidos["barrio"]
    barrio = barrio.where(barrio.notna(), None)
    return dict(zip(predios["codigo"].astype(str), barrio, strict=True))


def comprobar_no_emitidos(ruta: str | Path, anio: int, meses: list[int] | None) -> None:
    """Falla ya (antes de calcular tarifas) si alguno de los meses está emitido. La garantía
    real es el índice único dentro de la transacción de :func:`emitir`."""
    from geo.cobranza.tablas import hay_cobranza, lectura

    meses = sorted(set(meses or range(1, 13)))
    with lectura(ruta) as con:
        if not hay_cobranza(con):
            return
        ya = con.execute(f"select mes, instante, usuario from cob_emisiones where tipo = "
                         f"'emision' and anio = ? and mes in ({','.join('?' * len(meses))})",
                         (anio, *meses)).fetchall()
    if ya:
        raise _duplicada(anio, ya)


def _hay_titulares(con) -> bool:
    return con.execute("select count(*) from cob_titularidad").fetchone()[0] > 0


def _nulo(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def _nulos(serie) -> list:
    return [_nulo(v) for v in serie]


def _duplicada(anio, ya) -> ErrorDatos:
    m, cuando, quien = ya[0]
    return ErrorDatos(
        f"El mes {m:02d}/{anio} ya fue emitido ({cuando[:10]}, {quien}); no se emitió nada. "
        "Un mes se emite una sola vez: si el catastro cambió, emita un ajuste "
        f"('catastro emitir --anio {anio} --mes {m} --ajuste --expediente …').",
        "EMISION_DUPLICADA")

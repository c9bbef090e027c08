"""Control de mora por barrio y por sector, avisos de cobranza y morosos (plan operativo del
servicio: "suspensión del servicio de tren de aseo a los contribuyentes que se les ha hecho
entrega de dos o más avisos de cobro").

Un aviso **sigue vigente** mientras el predio tenga impaga alguna cuota que ya estaba vencida
el día de la entrega (la cuota impaga más antigua venció antes del aviso). Pagar esa deuda
"apaga" los avisos anteriores; un aviso entregado sin deuda vencida no cuenta.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from geo.almacen.base import instante_texto
from geo.cobranza.estado import liquidar
from geo.cobranza.intereses import TablaTIM
from geo.cobranza.pagos import _existe
from geo.cobranza.registro import _fecha
from geo.cobranza.tablas import hay_cobranza, lectura, transaccion
from geo.errores import ErrorDatos


def registrar_avisos(ruta: str | Path, avisos: list[dict], usuario: str) -> int:
    """Registra avisos entregados: ``[{"predio", "fecha", "entregado_por", "observacion"}]``.
    Todo o nada; valida todo antes (fecha, quién entregó, predio existente)."""
    problemas, filas = [], []
    for i, a in enumerate(avisos, 1):
        try:
            f = _fecha(a.get("fecha")).isoformat()
        except ErrorDatos as e:
            problemas.append(f"aviso {i}: {e.mensaje}")
            f = None
        if not str(a.get("entregado_por") or "").strip():
            problemas.append(f"aviso {i}: falta quién lo entregó")
        filas.append((str(a.get("predio") or "").strip(), f, str(a.get("entregado_por") or "")
                      .strip(), a.get("observacion"), usuario, instante_texto()))
    with transaccion(ruta) as con:
        hay = _existe(con, [f[0] for f in filas])
        problemas += [f"aviso {i}: no existe el predio '{f[0]}'"
                      for i, f in enumerate(filas, 1) if f[0] not in hay]
        if problemas:
            raise ErrorDatos("No se registró ningún aviso: " + "; ".join(problemas[:20]) + ".",
                             "AVISO_INVALIDO")
        con.executemany("insert into cob_avisos (predio, fecha, entregado_por, observacion, "
                        "usuario, instante) values (?, ?, ?, ?, ?, ?)", filas)
    return len(filas)


def morosos(ruta: str | Path, avisos: int = 2, fecha=None, tabla: TablaTIM | None = None,
            cuotas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Predios con ``avisos`` o más avisos vigentes a ``fecha``: pierden el tren de aseo.

    Columnas: ``predio``, ``barrio``, ``avisos_vigentes``, ``cuotas_vencidas``,
    ``deuda_vencida_cent``, ``impaga_desde`` (vencimiento de la cuota impaga más antigua).
    Sin datos personales. ``cuotas``: el resultado de :func:`liquidar` a esa misma fecha, si
    ya se tiene (evita recalcularlo).
    """
    fecha = _fecha(fecha or date.today())
    c = cuotas if cuotas is not None else liquidar(ruta, fecha, tabla=tabla)[0]
    vencidas = c[c["vencida"] & (c["saldo_cent"] > 0)]
    por = vencidas.groupby("predio").agg(
        barrio=("barrio", "first"), cuotas_vencidas=("id", "size"),
        deuda_vencida_cent=("saldo_cent", "sum"), impaga_desde=("vencimiento", "min"))
    with lectura(ruta) as con:
        av = (pd.read_sql_query("select predio, fecha from cob_avisos where fecha <= ?", con,
                                params=[fecha.isoformat()]) if hay_cobranza(con)
              else pd.DataFrame(columns=["predio", "fecha"]))
    av["fecha"] = pd.to_datetime(av["fecha"]).dt.date
    av = av.merge(por[["impaga_desde"]], left_on="predio", right_index=True)
    av = av[av["fecha"] > av["impaga_desde"]]
    por["avisos_vigentes"] = av.groupby("predio").size()
    por["avisos_vigentes"] = por["avisos_vigentes"].fillna(0).astype(int)
    t = por[por["avisos_vigentes"] >= avisos].reset_index()
    return t[["predio", "barrio", "avisos_vigentes", "cuotas_vencidas", "deuda_vencida_cent",
              "impaga_desde"]].sort_values(["barrio", "predio"]).reset_index(drop=True)


def mora_por_zona(ruta: str | Path, por: str = "barrio", fecha=None,
                  tabla: TablaTIM | None = None,
                  cuotas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mora mes a mes por ``barrio`` o ``sector`` (de barrido) a ``fecha``.

    Por zona y período (solo cuotas ya vencidas): ``emitido_cent``, ``cobrado_cent`` (capital
    pagado), ``insoluto_cent``, ``predios``, ``predios_morosos`` y ``mora_pct`` (insoluto /
    emitido × 100). La zona es la del predio al emitir la cuota. ``cuotas``: como en
    :func:`morosos`.
    """
    if por not in ("barrio", "sector"):
        raise ErrorDatos(f"Mora por '{por}': use barrio o sector.", "AGRUPACION_INVALIDA")
    fecha = _fecha(fecha or date.today())
    c = cuotas if cuotas is not None else liquidar(ruta, fecha, tabla=tabla)[0]
    c = c[c["vencida"]].copy()
    c[por] = c[por].fillna("(sin dato)")
    c["moroso"] = np.where(c["insoluto_cent"] > 0, c["predio"], None)
    t = c.groupby([por, "anio", "mes"]).agg(
        emitido_cent=("monto_cent", "sum"), cobrado_cent=("capital_cent", "sum"),
        insoluto_cent=("insoluto_cent", "sum"), predios=("predio", "nunique"),
        predios_morosos=("moroso", "nunique")).reset_index()
    t["mora_pct"] = (100 * t["insoluto_cent"] / t["emitido_cent"]).round(2)
    return t


def texto_mora(t: pd.DataFrame, por: str) -> str:
    from geo.cobranza.estado import soles

    lineas = [(f"{por:<20}{'período':<9}{'emitido':>14}{'cobrado':>14}{'insoluto':>14}"
              f"{'morosos':>9}{'mora %':>8}")]
    for f in t.itertuples():
        lineas.append(f"{getattr(f, por)!s:<20}{f.mes:02d}/{f.anio:<6}"
                      f"{soles(f.emitido_cent):>14}{soles(f.cobrado_cent):>14}"
                      f"{soles(f.insoluto_cent):>14}{f.predios_morosos:>9}{f.mora_pct:>8.2f}")
    return "\n".join(lineas)


def capa_mora_barrios(ruta: str | Path, fecha=None, tabla: TablaTIM | None = None,
                      cuotas: pd.DataFrame | None = None):
    """Polígonos de la capa ``barrios`` con su mora a ``fecha``, para el mapa coroplético.

    Columnas: ``barrio``, ``emitido`` y ``insoluto`` (S/, float: solo para dibujar),
    ``mora_pct`` (acumulada: insoluto vencido / emitido vencido × 100), ``predios_morosos`` y
    una columna ``mora_pct_AAAA_MM`` por período vencido. CRS del almacén (el mapa reproyecta).
    Barrios sin cuotas vencidas quedan con NaN. Sin datos personales.
    """
    import geopandas as gpd

    from geo.capas import listar_capas

    if "barrios" not in listar_capas(ruta):
        raise ErrorDatos(f"{Path(ruta).name} no tiene la capa 'barrios': no hay mapa de mora "
                         "por barrio.", "CAPA_FALTANTE")
    fecha = _fecha(fecha or date.today())
    c = cuotas if cuotas is not None else liquidar(ruta, fecha, tabla=tabla)[0]
    t = mora_por_zona(ruta, "barrio", fecha, cuotas=c)
    barrios = gpd.read_file(ruta, layer="barrios", engine="pyogrio")[["barrio", "geometry"]]
    vencidas = c[c["vencida"]]
    total = vencidas.groupby(vencidas["barrio"].fillna("(sin dato)")).agg(
        emitido=("monto_cent", "sum"), insoluto=("insoluto_cent", "sum"))
    total["predios_morosos"] = (vencidas[vencidas["insoluto_cent"] > 0]
                                .groupby("barrio")["predio"].nunique())
    total["predios_morosos"] = total["predios_morosos"].fillna(0).astype(int)
    total["mora_pct"] = (100 * total["insoluto"] / total["emitido"]).round(2)
    total[["emitido", "insoluto"]] = total[["emitido", "insoluto"]] / 100
    t["periodo"] = ("mora_pct_" + t["anio"].astype(str) + "_"
                    + t["mes"].astype(str).str.zfill(2))
    por_mes = t.pivot_table(index="barrio", columns="periodo", values="mora_pct")
    return barrios.merge(total, left_on="barrio", right_index=True, how="left").merge(
        por_mes, left_on="barrio", right_index=True, how="left")

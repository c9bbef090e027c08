"""Órdenes de cobranza de la CLI ``catastro`` (las registra ``geo/cli.py``).

Cada orden es ``orden_<nombre>(args) -> int`` (código de salida); los errores conocidos se
lanzan como :class:`geo.errores.ErrorCatastro` y la CLI los muestra en español. Las
importaciones pesadas van dentro de cada orden (``catastro --help`` debe ser rápido).
"""

from __future__ import annotations

import sys
from pathlib import Path

from geo.errores import SALIDA_OK, ErrorDatos


def _escribir(texto: str = "") -> None:
    sys.stdout.write(texto + "\n")


def registrar(orden, almacen_por_defecto: str) -> None:
    """Agrega las subórdenes de cobranza al parser (``orden(nombre, ayuda, descripcion)``)."""

    def capas(s):
        s.add_argument("--capas", default=almacen_por_defecto,
                       help=f"almacén GeoPackage (por defecto {almacen_por_defecto})")

    s = orden("contribuyente", "busca un contribuyente por código o documento (o importa el "
              "registro)", "Muestra el contribuyente (código C000123 o DNI/RUC) y sus predios "
              "con rol, cuota y vigencia. Con --importar crea el registro a partir de las "
              "columnas contribuyente/documento de los predios. Uso interno: datos personales.")
    s.add_argument("clave", nargs="?", help="código de contribuyente o documento")
    s.add_argument("--importar", action="store_true", help="crea el registro desde los predios")
    s.add_argument("--desde", default="2019-01-01", help="vigencia inicial al importar")
    s.add_argument("--usuario", help="quién importa")
    capas(s)

    s = orden("emitir", "emite las obligaciones de un mes (o la cuponera del año)",
              "Crea la obligación mensual de cada predio por arbitrio, con vencimiento el "
              "último día hábil del mes (Art. 6). Un mes se emite una sola vez; si el catastro "
              "cambió, --ajuste emite la diferencia con su expediente: si sube, obligaciones "
              "nuevas; si baja, notas de crédito que rebajan la deuda del mes (o, si ya se "
              "pagó, se imputan a la deuda más antigua o quedan como saldo a favor).")
    s.add_argument("--anio", type=int, required=True, help="año (2020)")
    s.add_argument("--mes", type=int, help="mes 1–12 (sin --mes: los doce meses)")
    s.add_argument("--usuario", required=True, help="quién emite")
    s.add_argument("--ajuste", action="store_true", help="emite la diferencia (recálculo)")
    s.add_argument("--expediente", help="expediente que sustenta el ajuste")
    s.add_argument("--motivo", help="motivo del ajuste (por defecto: recálculo por cambio en "
                   "el catastro)")
    s.add_argument("--fecha", help="fecha del ajuste AAAA-MM-DD (por defecto hoy): desde ese "
                   "día el interés corre sobre el monto rebajado")
    s.add_argument("--ordenanza", help="archivo .toml (por defecto Oxapampa 2020)")
    capas(s)

    s = orden("pagar", "registra un pago en caja o importa el archivo de pagos del banco",
              "Imputa el pago a la deuda más antigua: primero el interés, luego el insoluto "
              "(Código Tributario, Art. 31). Archivo del banco: CSV con columnas codigo, fecha "
              "(AAAA-MM-DD), monto (123.45), operacion; se valida entero antes de registrar.")
    s.add_argument("codigo", nargs="?", help="código catastral del predio")
    s.add_argument("--monto", help="monto pagado en soles (123.45)")
    s.add_argument("--fecha", help="fecha del pago AAAA-MM-DD")
    s.add_argument("--operacion", help="número de recibo/operación (opcional)")
    s.add_argument("--archivo", help="CSV de pagos del banco")
    s.add_argument("--banco", help="nombre del banco del archivo (BN, BCP …)")
    s.add_argument("--usuario", required=True, help="quién registra")
    capas(s)

    s = orden("extornar", "anula un pago con un registro de extorno (el pago no se borra)")
    s.add_argument("pago", type=int, help="número de pago")
    s.add_argument("--motivo", required=True, help="por qué se extorna")
    s.add_argument("--usuario", required=True, help="quién extorna")
    capas(s)

    s = orden("estado-cuenta", "estado de cuenta de un predio: deuda, interés, pagos, saldo")
    s.add_argument("codigo", help="código catastral del predio")
    s.add_argument("--fecha", help="fecha de corte AAAA-MM-DD (por defecto hoy)")
    s.add_argument("--html", help="además, escribe una página HTML imprimible en esta ruta")
    capas(s)

    s = orden("aviso", "registra la entrega de un aviso de cobranza")
    s.add_argument("codigo", help="código catastral del predio")
    s.add_argument("--fecha", required=True, help="fecha de entrega AAAA-MM-DD")
    s.add_argument("--entregado-por", required=True, help="quién lo entregó")
    s.add_argument("--observacion", help="observación (recibió el vecino, bajo puerta …)")
    s.add_argument("--usuario", required=True, help="quién registra")
    capas(s)

    s = orden("morosos", "predios con N o más avisos de cobranza vigentes (pierden el tren de "
              "aseo)")
    s.add_argument("--avisos", type=int, default=2, help="avisos vigentes (por defecto 2)")
    s.add_argument("--fecha", help="fecha de corte AAAA-MM-DD (por defecto hoy)")
    capas(s)

    s = orden("plan", "aprueba un plan de pagos (fraccionamiento) de la deuda vencida",
              "Consolida la deuda vencida del predio (insoluto + interés) y la divide en N "
              "cuotas mensuales con el interés de geo/datos/tim.toml [fraccionamiento].")
    s.add_argument("codigo", help="código catastral del predio")
    s.add_argument("--cuotas", type=int, required=True, help="número de cuotas mensuales")
    s.add_argument("--fecha", required=True, help="fecha de aprobación AAAA-MM-DD")
    s.add_argument("--expediente", help="expediente o resolución que lo aprueba")
    s.add_argument("--usuario", required=True, help="quién lo registra")
    capas(s)

    s = orden("planes", "cumplimiento de los planes de pago (vigente, cancelado, quebrado)")
    s.add_argument("--fecha", help="fecha de corte AAAA-MM-DD (por defecto hoy)")
    capas(s)

    s = orden("mora", "control de mora mes a mes por barrio o por sector")
    s.add_argument("--por", choices=("barrio", "sector"), default="barrio")
    s.add_argument("--fecha", help="fecha de corte AAAA-MM-DD (por defecto hoy)")
    s.add_argument("--csv", help="además, escribe la tabla en este CSV")
    capas(s)


def orden_contribuyente(args) -> int:
    from geo.cobranza.registro import (
        buscar_contribuyente,
        importar_contribuyentes,
        texto_contribuyente,
    )

    if args.importar:
        if not args.usuario:
            raise ErrorDatos("Indique --usuario para importar el registro.", "USUARIO_FALTANTE")
        n = importar_contribuyentes(args.capas, args.desde, args.usuario)
        _escribir(f"Registro importado: {n:,} predios con su propietario desde {args.desde}.")
        return SALIDA_OK
    if not args.clave:
        raise ErrorDatos("Indique el código o el documento del contribuyente.",
                         "ARGUMENTOS_FALTANTES")
    _escribir(texto_contribuyente(buscar_contribuyente(args.capas, args.clave)))
    return SALIDA_OK


def orden_emitir(args) -> int:
    from geo.cobranza.emision import MOTIVO_AJUSTE, ajustar, comprobar_no_emitidos, emitir
    from geo.cobranza.estado import soles
    from geo.flujo import tarifas_almacen

    if not args.ajuste:
        comprobar_no_emitidos(args.capas, args.anio, [args.mes] if args.mes else None)
    _, _, resultado = tarifas_almacen(args.capas, args.ordenanza)
    if args.ajuste:
        if args.mes is None:
            raise ErrorDatos("Un ajuste es de un mes: indique --mes.", "MES_FALTANTE")
        d = ajustar(args.capas, args.anio, args.mes, args.expediente, args.usuario, resultado,
                    args.fecha, args.motivo or MOTIVO_AJUSTE)
        periodo = f"{args.mes:02d}/{args.anio}"
        if d.empty:
            _escribir(f"Ajuste {periodo}: nada que ajustar; lo emitido ya coincide con el "
                      "cálculo actual. No se registró nada.")
            return SALIDA_OK
        sube = d[d["diferencia_cent"] > 0]
        baja = d[d["diferencia_cent"] < 0]
        _escribir(f"Ajuste {periodo} (expediente {args.expediente}):")
        _escribir(f"  {len(sube):,} obligaciones nuevas por "
                  f"{soles(int(sube['diferencia_cent'].sum()))}.")
        if len(baja):
            _escribir(f"  {len(baja):,} notas de crédito por "
                      f"{soles(int(-baja['diferencia_cent'].sum()))}: "
                      f"{soles(int(baja['compensado_cent'].sum()))} rebajan la deuda del mes, "
                      f"{soles(int(baja['imputado_cent'].sum()))} (ya pagados) se imputaron a "
                      f"la deuda más antigua y {soles(int(baja['a_favor_cent'].sum()))} "
                      "quedan como saldo a favor.")
        return SALIDA_OK
    r = emitir(args.capas, args.anio, [args.mes] if args.mes else None, args.usuario, resultado)
    for f in r.itertuples():
        _escribir(f"{f.mes:02d}/{f.anio}: {f.obligaciones:,} obligaciones de {f.predios:,} "
                  f"predios, S/ {f.total:,.2f}, vence {f.vencimiento:%d/%m/%Y}")
    return SALIDA_OK


def orden_pagar(args) -> int:
    from geo.cobranza.estado import soles
    from geo.cobranza.pagos import importar_pagos_banco, pagar

    if args.archivo:
        if not args.banco:
            raise ErrorDatos("Indique --banco (nombre del banco del archivo).", "BANCO_FALTANTE")
        r = importar_pagos_banco(args.capas, args.archivo, args.banco, args.usuario)
        _escribir(f"{len(r):,} pagos de {args.banco} registrados por "
                  f"{soles(int(r['monto_cent'].sum()))} (interés "
                  f"{soles(int(r['interes_cent'].sum()))}, saldo a favor "
                  f"{soles(int(r['a_favor_cent'].sum()))}).")
        return SALIDA_OK
    if not args.codigo or args.monto is None or not args.fecha:
        raise ErrorDatos("Indique CODIGO, --monto y --fecha (o --archivo y --banco).",
                         "ARGUMENTOS_FALTANTES")
    r = pagar(args.capas, args.codigo, args.monto, args.fecha, args.usuario, "caja",
              args.operacion)
    _escribir(f"Pago {r['pago']} registrado: {soles(r['monto_cent'])} del predio {args.codigo} "
              f"({soles(r['interes_cent'])} a interés, {soles(r['capital_cent'])} a capital"
              + (f", {soles(r['a_favor_cent'])} de saldo a favor" if r["a_favor_cent"] else "")
              + ").")
    return SALIDA_OK


def orden_extornar(args) -> int:
    from geo.cobranza.pagos import extornar

    n = extornar(args.capas, args.pago, args.motivo, args.usuario)
    _escribir(f"Pago {args.pago} extornado (registro {n}); su imputación quedó deshecha.")
    return SALIDA_OK


def orden_estado_cuenta(args) -> int:
    from geo.capas import archivo_atomico
    from geo.cobranza.estado import estado_cuenta

    e = estado_cuenta(args.capas, args.codigo, args.fecha)
    _escribir(e.texto())
    if args.html:
        ruta = Path(args.html)
        ruta.parent.mkdir(parents=True, exist_ok=True)
        with archivo_atomico(ruta) as tmp:
            Path(tmp).write_text(e.html(), encoding="utf-8")
        _escribir(f"\nPágina imprimible: {ruta}")
    return SALIDA_OK


def orden_aviso(args) -> int:
    from geo.cobranza.mora import registrar_avisos

    registrar_avisos(args.capas, [{"predio": args.codigo, "fecha": args.fecha,
                                   "entregado_por": args.entregado_por,
                                   "observacion": args.observacion}], args.usuario)
    _escribir(f"Aviso de cobranza del predio {args.codigo} registrado ({args.fecha}, "
              f"{args.entregado_por}).")
    return SALIDA_OK


def orden_morosos(args) -> int:
    from geo.cobranza.estado import soles
    from geo.cobranza.mora import morosos

    t = morosos(args.capas, args.avisos, args.fecha)
    _escribir(f"{len(t):,} predios con {args.avisos} o más avisos de cobranza vigentes "
              "(suspensión del tren de aseo):")
    _escribir(f"{'predio':<22}{'barrio':<18}{'avisos':>7}{'cuotas':>7}{'deuda vencida':>16}"
              "  impaga desde")
    for f in t.itertuples():
        _escribir(f"{f.predio:<22}{f.barrio!s:<18}{f.avisos_vigentes:>7}{f.cuotas_vencidas:>7}"
                  f"{soles(f.deuda_vencida_cent):>16}  {f.impaga_desde:%d/%m/%Y}")
    return SALIDA_OK


def orden_mora(args) -> int:
    from geo.cobranza.mora import mora_por_zona, texto_mora

    t = mora_por_zona(args.capas, args.por, args.fecha)
    _escribir(texto_mora(t, args.por))
    if args.csv:
        t.to_csv(args.csv, index=False, encoding="utf-8-sig")
        _escribir(f"\nTabla escrita en {args.csv}")
    return SALIDA_OK


def orden_plan(args) -> int:
    from geo.cobranza.estado import soles
    from geo.cobranza.fraccionamiento import crear_plan

    p = crear_plan(args.capas, args.codigo, args.cuotas, args.fecha, args.usuario,
                   args.expediente)
    _escribir(f"Plan {p['plan']} del predio {args.codigo}: deuda consolidada "
              f"{soles(p['deuda_cent'])} en {args.cuotas} cuotas, interés "
              f"{p['tasa_mensual_pct']} % mensual sobre el saldo.")
    for f in p["cronograma"].itertuples():
        _escribir(f"  cuota {f.numero:>2}  vence {f.vencimiento:%d/%m/%Y}  capital "
                  f"{soles(f.capital_cent):>12}  interés {soles(f.interes_cent):>10}  total "
                  f"{soles(f.monto_cent):>12}")
    return SALIDA_OK


def orden_planes(args) -> int:
    from geo.cobranza.estado import soles
    from geo.cobranza.fraccionamiento import planes

    t = planes(args.capas, args.fecha)
    if t.empty:
        _escribir("No hay planes de pago registrados.")
        return SALIDA_OK
    for f in t.itertuples():
        _escribir(f"plan {f.plan:>4}  {f.predio:<22} {f.fecha}  {f.pagadas}/{f.cuotas} pagadas, "
                  f"{f.vencidas_impagas} vencidas impagas, saldo {soles(f.saldo_cent)}: "
                  f"{f.estado.upper()}")
    return SALIDA_OK


ORDENES = {
    "plan": orden_plan,
    "planes": orden_planes,
    "contribuyente": orden_contribuyente,
    "emitir": orden_emitir,
    "pagar": orden_pagar,
    "extornar": orden_extornar,
    "estado-cuenta": orden_estado_cuenta,
    "aviso": orden_aviso,
    "morosos": orden_morosos,
    "mora": orden_mora,
}

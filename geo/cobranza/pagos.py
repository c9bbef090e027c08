"""Pagos: en caja (``catastro pagar``) o por archivo del banco, imputados a la deuda más antigua.

Imputación (Código Tributario, Art. 31; regla de interés en :mod:`geo.cobranza.intereses`)
------------------------------------------------------------------------------------------
Un pago del día ``t`` recorre las cuotas del predio de la más antigua a la más reciente
(vencimiento, luego el orden de :data:`ORDEN_IMPUTACION`, luego la emisión); en cada una cierra el
tramo de interés hasta ``t`` (``devengado``, redondeado), paga primero el interés pendiente y
luego el insoluto, y sigue con lo que sobre. Lo que sobra al final queda como saldo a favor
del predio. Cada toque queda en ``cob_aplicaciones``; los pagos se imputan en el orden en que
se registran (un pago con fecha anterior al último ya imputado no genera interés en ese tramo).

Un pago nunca desaparece: un extorno es un pago negativo que apunta al extornado y deshace
sus aplicaciones con filas negativas de la misma fecha. Solo se extorna el último pago
vigente del predio (si no, las imputaciones posteriores quedarían mal): extorne en orden.

Notas de crédito (ajuste hacia abajo, :func:`aplicar_notas_credito`)
--------------------------------------------------------------------
Una rebaja de ``X`` es una obligación **negativa** del mismo mes y arbitrio; el día del ajuste
``D`` se compensa con un pago interno de monto 0 (``origen = 'nota_credito'``), cuyas
aplicaciones son: ``−X`` a capital de la nota (que queda saldada), hasta ``X`` al insoluto de
las cuotas de ese mes y arbitrio, y lo que sobre (si ya estaban pagadas) se imputa como un pago
del día ``D`` a la deuda más antigua del predio; lo que aún sobre es saldo a favor, igual que
un pago en exceso. La compensación va solo al insoluto, no al interés.

Interés: el devengado hasta ``D`` sobre el monto original **se mantiene** (la compensación
cierra el tramo en ``D`` como un pago); desde ``D`` el interés corre sobre el insoluto
rebajado. Lo pagado nunca se mueve: el exceso es un crédito nuevo, fechado ``D``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from geo.almacen.base import instante_texto
from geo.cobranza.intereses import TablaTIM, cargar_tim, interes_cent
from geo.cobranza.registro import _fecha
from geo.cobranza.tablas import ORDEN_IMPUTACION, predios_existentes, transaccion
from geo.errores import ErrorDatos, ErrorLectura

log = logging.getLogger(__name__)
COLUMNAS_BANCO = ("codigo", "fecha", "monto", "operacion")
_ORDEN = {a: i for i, a in enumerate(ORDEN_IMPUTACION)}
_SQL_ORDEN = "case o.arbitrio " + " ".join(f"when '{a}' then {i}" for a, i in _ORDEN.items()) + " end"


@dataclass(slots=True)
class Cuota:
    """Estado de una obligación para imputar o liquidar (céntimos)."""

    id: int
    predio: str
    anio: int
    mes: int
    arbitrio: str
    vencimiento: date
    monto: int
    capital: int = 0          # pagado al insoluto
    devengado: int = 0        # interés de los tramos ya cerrados
    interes_pagado: int = 0
    ultima: date | None = None  # fecha de la última aplicación

    @property
    def insoluto(self) -> int:
        return self.monto - self.capital

    @property
    def desde(self) -> date:
        """Desde cuándo corre el tramo abierto de interés."""
        return self.vencimiento if self.ultima is None else max(self.vencimiento, self.ultima)

    @property
    def orden(self):
        return (self.vencimiento, _ORDEN[self.arbitrio], self.id)

    def tramo(self, hasta: date, tabla: TablaTIM) -> int:
        """Interés del tramo abierto hasta ``hasta`` (céntimos, redondeado)."""
        return interes_cent(self.insoluto, self.desde, hasta, tabla)


def cuotas_de(con, predios) -> dict[str, list[Cuota]]:
    """Cuotas **con saldo** (insoluto o interés devengado impago) de esos predios, ordenadas
    para imputar. Las saldadas no se cargan: un pago nunca las toca."""
    predios = list(dict.fromkeys(predios))
    res: dict[str, list[Cuota]] = {p: [] for p in predios}
    fechas: dict[str, date] = {}

    def fecha(t):
        if t is None:
            return None
        if t not in fechas:
            fechas[t] = date.fromisoformat(t)
        return fechas[t]

    for i in range(0, len(predios), 500):
        t = predios[i:i + 500]
        filas = con.execute(
            "select o.id, o.predio, o.anio, o.mes, o.arbitrio, o.vencimiento, o.monto_cent, "
            "coalesce(sum(a.capital_cent), 0) as cap, coalesce(sum(a.devengado_cent), 0) as dev, "
            "coalesce(sum(a.interes_cent), 0) as ip, max(a.fecha) from cob_obligaciones o "
            "left join cob_aplicaciones a on a.obligacion = o.id "
            f"where o.predio in ({','.join('?' * len(t))}) group by o.id "
            "having o.monto_cent - cap != 0 or dev - ip != 0 "
            f"order by o.predio, o.vencimiento, {_SQL_ORDEN}, o.id", t).fetchall()
        for f in filas:
            res[f[1]].append(Cuota(f[0], f[1], f[2], f[3], f[4], fecha(f[5]), f[6], f[7], f[8],
                                   f[9], fecha(f[10])))
    return res  # ya en el orden de imputación (Cuota.orden)


def imputar(cuotas: list[Cuota], fecha: date, monto: int, tabla: TablaTIM) -> list[tuple]:
    """Reparte ``monto`` (céntimos) entre las cuotas (ordenadas); las actualiza en su lugar.

    Devuelve ``[(cuota.id, devengado, interes, capital)]``; lo no repartido es saldo a favor.
    """
    filas = []
    for c in cuotas:
        if monto <= 0:
            break
        tramo = c.tramo(fecha, tabla)
        pendiente = c.devengado + tramo - c.interes_pagado
        if c.insoluto <= 0 and pendiente <= 0:
            continue
        a_interes = min(monto, pendiente)
        a_capital = min(monto - a_interes, c.insoluto)
        monto -= a_interes + a_capital
        filas.append((c.id, tramo, a_interes, a_capital))
        c.devengado += tramo
        c.interes_pagado += a_interes
        c.capital += a_capital
        c.ultima = fecha if c.ultima is None else max(c.ultima, fecha)
    return filas


def compensar(cuotas: list[Cuota], fecha: date, monto: int, tabla: TablaTIM) -> list[tuple]:
    """Rebaja ``monto`` (céntimos) del insoluto de ``cuotas`` (las del mes y arbitrio de una
    nota de crédito), sin tocar su interés: cierra el tramo hasta ``fecha`` con el insoluto de
    antes. Las actualiza en su lugar; devuelve ``[(cuota.id, devengado, 0, capital)]``."""
    filas = []
    for c in cuotas:
        if monto <= 0:
            break
        if c.insoluto <= 0:
            continue
        tramo = c.tramo(fecha, tabla)
        a_capital = min(monto, c.insoluto)
        monto -= a_capital
        filas.append((c.id, tramo, 0, a_capital))
        c.devengado += tramo
        c.capital += a_capital
        c.ultima = fecha if c.ultima is None else max(c.ultima, fecha)
    return filas


def aplicar_notas_credito(con, notas: list[dict], fecha: date, motivo: str, usuario: str,
                          tabla: TablaTIM) -> list[dict]:
    """Compensa notas de crédito ya insertadas en ``cob_obligaciones`` (ver el docstring del
    módulo). ``notas``: ``[{"id", "predio", "anio", "mes", "arbitrio", "monto_cent" (< 0)}]``.

    Un pago interno de monto 0 por nota. Devuelve por nota ``compensado_cent`` (rebajado de
    ese mes y arbitrio), ``imputado_cent`` (a otras deudas) y ``a_favor_cent``.
    """
    ids = {n["id"] for n in notas}
    estado = {p: [c for c in cs if c.id not in ids]
              for p, cs in cuotas_de(con, [n["predio"] for n in notas]).items()}
    instante = instante_texto()
    hechos, filas_aplic = [], []
    for n in notas:
        credito = -n["monto_cent"]
        cur = con.execute(
            "insert into cob_pagos (predio, fecha, monto_cent, origen, operacion, extorna, "
            "motivo, usuario, instante) values (?, ?, 0, 'nota_credito', ?, null, ?, ?, ?)",
            (n["predio"], fecha.isoformat(), f"NC-{n['id']}", motivo, usuario, instante))
        cuotas = estado[n["predio"]]
        mismas = [c for c in cuotas if (c.anio, c.mes, c.arbitrio)
                  == (n["anio"], n["mes"], n["arbitrio"])]
        comp = compensar(mismas, fecha, credito, tabla)
        compensado = sum(f[3] for f in comp)
        imp = imputar(cuotas, fecha, credito - compensado, tabla)
        imputado = sum(i + c for _, _, i, c in imp)
        filas_aplic += [(cur.lastrowid, o, fecha.isoformat(), d, i, c)
                        for o, d, i, c in [(n["id"], 0, 0, -credito), *comp, *imp]]
        hechos.append({"nota": n["id"], "pago": cur.lastrowid, "predio": n["predio"],
                       "compensado_cent": compensado, "imputado_cent": imputado,
                       "a_favor_cent": credito - compensado - imputado})
    con.executemany(
        "insert into cob_aplicaciones (pago, obligacion, fecha, devengado_cent, interes_cent, "
        "capital_cent) values (?, ?, ?, ?, ?, ?)", filas_aplic)
    return hechos


def _registrar(con, pagos: list[dict], usuario: str, tabla: TablaTIM) -> list[dict]:
    """Inserta los pagos (ya validados) y sus aplicaciones, en el orden dado."""
    estado = cuotas_de(con, [p["predio"] for p in pagos])
    instante = instante_texto()
    # ids explícitos: la transacción tiene el bloqueo de escritura (nadie más inserta)
    siguiente = (con.execute("select max(id) from cob_pagos").fetchone()[0] or 0) + 1
    hechos, filas_pagos, filas_aplic = [], [], []
    for n, p in enumerate(pagos):
        pid = siguiente + n
        fecha = p["fecha"].isoformat()
        filas_pagos.append((pid, p["predio"], fecha, p["monto_cent"], p["origen"],
                            p.get("operacion"), usuario, instante))
        filas = imputar(estado[p["predio"]], p["fecha"], p["monto_cent"], tabla)
        filas_aplic += [(pid, o, fecha, d, i, c) for o, d, i, c in filas]
        aplicado = sum(i + c for _, _, i, c in filas)
        hechos.append({"pago": pid, "predio": p["predio"], "monto_cent": p["monto_cent"],
                       "interes_cent": sum(f[2] for f in filas),
                       "capital_cent": sum(f[3] for f in filas),
                       "a_favor_cent": p["monto_cent"] - aplicado})
    con.executemany(
        "insert into cob_pagos (id, predio, fecha, monto_cent, origen, operacion, extorna, "
        "motivo, usuario, instante) values (?, ?, ?, ?, ?, ?, null, null, ?, ?)", filas_pagos)
    con.executemany(
        "insert into cob_aplicaciones (pago, obligacion, fecha, devengado_cent, interes_cent, "
        "capital_cent) values (?, ?, ?, ?, ?, ?)", filas_aplic)
    return hechos


def _centimos(valor) -> int:
    """'123.45' / Decimal → 12345; error si no es positivo o tiene más de 2 decimales."""
    try:
        d = Decimal(str(valor).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"monto '{valor}' no es un número (use 123.45)") from None
    if not d.is_finite() or d <= 0:
        raise ValueError(f"monto '{valor}' debe ser mayor que cero")
    if d != d.quantize(Decimal("0.01")):
        raise ValueError(f"monto '{valor}' tiene más de dos decimales")
    return int(d * 100)


def _existe(con, codigos) -> set[str]:
    """Predios vigentes o con obligaciones (un predio dado de baja puede pagar su deuda)."""
    codigos = list(dict.fromkeys(codigos))
    hay = predios_existentes(con, codigos)
    for i in range(0, len(codigos), 500):
        t = codigos[i:i + 500]
        hay |= {r[0] for r in con.execute(
            f"select distinct predio from cob_obligaciones where predio in "
            f"({','.join('?' * len(t))})", t)}
    return hay


def pagar(ruta: str | Path, predio: str, monto, fecha, usuario: str, origen: str = "caja",
          operacion: str | None = None, tabla: TablaTIM | None = None) -> dict:
    """Registra un pago en caja; devuelve lo imputado a interés, a capital y el saldo a favor
    (céntimos)."""
    fecha = _fecha(fecha)
    try:
        cent = _centimos(monto)
    except ValueError as e:
        raise ErrorDatos(f"Pago no registrado: {e}.", "MONTO_INVALIDO") from None
    tabla = tabla or cargar_tim()
    with transaccion(ruta) as con:
        if not _existe(con, [predio]):
            raise ErrorDatos(f"Pago no registrado: no existe el predio {predio} (ni tiene "
                             "deudas emitidas). Revise el código.", "PREDIO_INEXISTENTE")
        return _registrar(con, [{"predio": predio, "fecha": fecha, "monto_cent": cent,
                                 "origen": origen, "operacion": operacion}],
                          usuario, tabla)[0]


def leer_archivo_banco(ruta_csv: str | Path) -> pd.DataFrame:
    """Lee el CSV del banco: columnas ``codigo``, ``fecha`` (AAAA-MM-DD), ``monto`` (123.45),
    ``operacion`` (número de operación del banco, único). Separador ``,`` o ``;``."""
    try:
        t = pd.read_csv(ruta_csv, dtype=str, sep=None, engine="python", keep_default_na=False,
                        encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ErrorLectura(f"No se pudo leer el archivo del banco {ruta_csv} ({e}). Debe ser "
                           "un CSV con columnas " + ", ".join(COLUMNAS_BANCO) + ".",
                           "ARCHIVO_BANCO_ILEGIBLE") from e
    t.columns = [str(c).strip().lower() for c in t.columns]
    faltan = [c for c in COLUMNAS_BANCO if c not in t.columns]
    if faltan:
        raise ErrorDatos(f"El archivo del banco {Path(ruta_csv).name} no tiene las columnas "
                         f"{', '.join(faltan)} (tiene: {', '.join(t.columns)}). No se registró "
                         "nada.", "ARCHIVO_BANCO_INVALIDO")
    return t


def importar_pagos_banco(ruta: str | Path, archivo: str | Path | pd.DataFrame, banco: str,
                         usuario: str, tabla: TablaTIM | None = None) -> pd.DataFrame:
    """Registra los pagos del archivo del banco: todo o nada.

    Primero valida cada fila (predio, fecha, monto, operación no repetida en el archivo ni
    ya registrada para ``banco``) y reúne TODOS los problemas; si hay alguno, no escribe nada
    y los informa juntos (línea del CSV, qué está mal). Si no, imputa los pagos en orden de
    fecha (y de fila) en una sola transacción. Devuelve un resumen por pago.
    """
    t = archivo if isinstance(archivo, pd.DataFrame) else leer_archivo_banco(archivo)
    nombre = "archivo" if isinstance(archivo, pd.DataFrame) else Path(archivo).name
    tabla = tabla or cargar_tim()
    problemas, pagos = [], []
    vistas: dict[str, int] = {}
    for i, f in enumerate(t.itertuples(index=False), start=2):  # línea 1: encabezado
        f = f._asdict()
        cod = str(f["codigo"]).strip()
        op = str(f["operacion"]).strip()
        try:
            fecha = date.fromisoformat(str(f["fecha"]).strip())
        except ValueError:
            problemas.append(f"línea {i}: fecha '{f['fecha']}' mal escrita (use AAAA-MM-DD)")
            fecha = None
        try:
            cent = _centimos(f["monto"])
        except ValueError as e:
            problemas.append(f"línea {i}: {e}")
            cent = None
        if not cod:
            problemas.append(f"línea {i}: falta el código del predio")
        if not op:
            problemas.append(f"línea {i}: falta el número de operación")
        elif op in vistas:
            problemas.append(f"línea {i}: operación {op} repetida (ya está en la línea "
                             f"{vistas[op]})")
        else:
            vistas[op] = i
        pagos.append({"linea": i, "predio": cod, "fecha": fecha, "monto_cent": cent,
                      "origen": banco, "operacion": op})
    if not pagos and not problemas:
        problemas.append("el archivo no tiene pagos")
    with transaccion(ruta) as con:
        hay = _existe(con, [p["predio"] for p in pagos if p["predio"]])
        problemas += [f"línea {p['linea']}: no existe el predio {p['predio']}"
                      for p in pagos if p["predio"] and p["predio"] not in hay]
        ops = [p["operacion"] for p in pagos if p["operacion"]]
        ya = set()
        for j in range(0, len(ops), 500):
            s = ops[j:j + 500]
            ya |= {r[0] for r in con.execute(
                "select operacion from cob_pagos where origen = ? and operacion in "
                f"({','.join('?' * len(s))})", [banco, *s])}
        problemas += [f"línea {p['linea']}: la operación {p['operacion']} de {banco} ya fue "
                      "registrada (¿archivo importado dos veces?)"
                      for p in pagos if p["operacion"] in ya]
        if problemas:
            problemas.sort(key=lambda x: int(x.split(":")[0].split()[-1])
                           if x.startswith("línea") else 0)
            raise ErrorDatos(
                f"No se registró ningún pago de {nombre}: {len(problemas)} problemas. Corrija "
                "el archivo y vuelva a importarlo:\n" + "\n".join(
                    "  " + p for p in problemas[:50])
                + (f"\n  … y {len(problemas) - 50} más." if len(problemas) > 50 else ""),
                "ARCHIVO_BANCO_INVALIDO")
        pagos.sort(key=lambda p: (p["fecha"], p["linea"]))
        return pd.DataFrame(_registrar(con, pagos, usuario, tabla))


def extornar(ruta: str | Path, pago: int, motivo: str, usuario: str) -> int:
    """Extorna (anula con un registro nuevo) el pago ``pago``. Devuelve el id del extorno."""
    if not str(motivo or "").strip():
        raise ErrorDatos("Un extorno necesita un motivo.", "MOTIVO_FALTANTE")
    with transaccion(ruta) as con:
        fila = con.execute("select predio, fecha, monto_cent, extorna, origen, operacion "
                           "from cob_pagos where id = ?", (pago,)).fetchone()
        if fila is None or fila[3] is not None:
            raise ErrorDatos(f"No hay pago {pago} que extornar.", "PAGO_INEXISTENTE")
        if fila[4] == "nota_credito":
            raise ErrorDatos(f"El registro {pago} es la compensación de la nota de crédito "
                             f"{fila[5]}, no un pago: no se extorna. Si la rebaja fue un "
                             "error, emita un nuevo ajuste con su expediente.",
                             "NOTA_CREDITO_NO_EXTORNABLE")
        if con.execute("select 1 from cob_pagos where extorna = ?", (pago,)).fetchone():
            raise ErrorDatos(f"El pago {pago} ya fue extornado.", "PAGO_EXTORNADO")
        posterior = con.execute(
            "select id from cob_pagos p where predio = ? and id > ? and extorna is null and "
            "not exists (select 1 from cob_pagos e where e.extorna = p.id)",
            (fila[0], pago)).fetchone()
        if posterior and con.execute("select origen from cob_pagos where id = ?",
                                     (posterior[0],)).fetchone()[0] == "nota_credito":
            raise ErrorDatos(f"El pago {pago} no puede extornarse: después se aplicó una nota "
                             f"de crédito al predio {fila[0]} (registro {posterior[0]}), que "
                             "contó con ese pago. Regularícelo con un ajuste.",
                             "EXTORNO_FUERA_DE_ORDEN")
        if posterior:
            raise ErrorDatos(f"El pago {pago} no es el último del predio {fila[0]}: extorne "
                             f"antes el pago {posterior[0]} (y los posteriores).",
                             "EXTORNO_FUERA_DE_ORDEN")
        cur = con.execute(
            "insert into cob_pagos (predio, fecha, monto_cent, origen, operacion, extorna, "
            "motivo, usuario, instante) values (?, ?, ?, 'extorno', null, ?, ?, ?, ?)",
            (fila[0], fila[1], -fila[2], pago, motivo, usuario, instante_texto()))
        con.execute(
            "insert into cob_aplicaciones (pago, obligacion, fecha, devengado_cent, "
            "interes_cent, capital_cent) select ?, obligacion, fecha, 0, -interes_cent, "
            "-capital_cent from cob_aplicaciones where pago = ?", (cur.lastrowid, pago))
        return cur.lastrowid

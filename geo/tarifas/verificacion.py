"""Modo ``verificar-ordenanza``: el motor, alimentado con los agregados publicados, recalcula cada
cuadro del Anexo y compara cifra por cifra; además lista las inconsistencias del propio texto.

Reglas de comparación
---------------------
* Una cifra publicada con *n* decimales se compara con la recalculada redondeada HALF-UP a *n*
  decimales (``8.42`` frente a 8.41956… → ✓).
* Las cifras recalculadas salen de los **insumos** publicados (predios, frontis, áreas, kg por
  predio, índices, incidencias, costos) y de las fórmulas del motor; nunca de los resultados
  publicados. Los cuadros de exoneración usan, como insumo, el porcentaje que cada fila aplica de
  hecho (``porcentaje_aplicado``) para poder comparar montos; que ese porcentaje contradiga los
  Art. 7–8 se informa aparte como inconsistencia.

Inconsistencias del texto (independientes del motor): totales que no son la suma de sus filas
(con tolerancia por el redondeo de cada fila), porcentajes que no suman 100 %, fórmulas de
encabezado que no corresponden a sus cifras (evaluadas con intervalos: cada cifra publicada vale
±media unidad de su último decimal), porcentajes de exoneración que contradicen los artículos,
costos declarados de distinta forma en distintos lugares, cifras que deben coincidir entre cuadros
(``[[publicado.cruces]]``) y comprobaciones propias de cada servicio.
"""

from __future__ import annotations

import ast
import itertools
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from geo.errores import ErrorOrdenanza
from geo.ordenanza import NOMBRES_SERVICIO, SERVICIOS, Ordenanza
from geo.tarifas import barrido as m_barrido
from geo.tarifas import parques as m_parques
from geo.tarifas import recoleccion as m_recoleccion
from geo.tarifas import serenazgo as m_serenazgo
from geo.tarifas.cuadro import Cuadro
from geo.tarifas.dinero import (
    CERO,
    con_contexto,
    dec,
    decimales_de,
    div,
    mul,
    num,
    redondear,
    truncar,
)

# ---------------------------------------------------------------------------------------------
# resultado
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cifra:
    """Una cifra publicada frente a la recalculada."""

    servicio: str
    cuadro: str
    concepto: str
    recalculado: Decimal
    publicado: Decimal
    es_tasa: bool = False
    calculo: str = ""  # la cuenta, en una línea, cuando no es la fórmula del motor

    @property
    def decimales(self) -> int:
        return decimales_de(self.publicado)

    @property
    def recalculado_redondeado(self) -> Decimal:
        return redondear(self.recalculado, self.decimales)

    @property
    def ok(self) -> bool:
        return self.recalculado_redondeado == redondear(self.publicado, self.decimales)

    @property
    def diferencia(self) -> Decimal:
        return self.recalculado_redondeado - self.publicado

    def como_dict(self) -> dict:
        return {
            "servicio": self.servicio, "cuadro": self.cuadro, "concepto": self.concepto,
            "recalculado": str(self.recalculado_redondeado), "publicado": str(self.publicado),
            "decimales": self.decimales, "es_tasa": self.es_tasa, "ok": self.ok,
            "recalculado_exacto": str(self.recalculado), "calculo": self.calculo,
        }


@dataclass(frozen=True)
class Inconsistencia:
    """Algo del texto publicado que no cuadra consigo mismo (o con los artículos)."""

    servicio: str
    cuadro: str
    tipo: str  # suma | porcentaje | formula | exoneracion | costo | cruce | metodo
    mensaje: str

    def como_texto(self) -> str:
        return f"[{self.cuadro}] {self.mensaje}"


@dataclass
class Verificacion:
    """Resultado de :func:`verificar_ordenanza`."""

    ordenanza: str
    titulo: str
    cifras: list[Cifra] = field(default_factory=list)
    inconsistencias: list[Inconsistencia] = field(default_factory=list)
    cuadros: dict[str, Cuadro] = field(default_factory=dict)

    @property
    def tasas(self) -> list[Cifra]:
        return [c for c in self.cifras if c.es_tasa]

    @property
    def tasas_ok(self) -> bool:
        return all(c.ok for c in self.tasas)

    @property
    def codigo_salida(self) -> int:
        """0 si todas las tasas publicadas se reproducen; 1 si no."""
        return 0 if self.tasas_ok else 1

    def resumen(self) -> dict:
        return {
            "cifras": len(self.cifras),
            "cifras_ok": sum(c.ok for c in self.cifras),
            "cifras_distintas": sum(not c.ok for c in self.cifras),
            "tasas": len(self.tasas),
            "tasas_ok": sum(c.ok for c in self.tasas),
            "inconsistencias": len(self.inconsistencias),
        }

    def como_dict(self) -> dict:
        return {
            "ordenanza": self.ordenanza, "titulo": self.titulo, "resumen": self.resumen(),
            "tasas_reproducidas": self.tasas_ok, "codigo_salida": self.codigo_salida,
            "cifras": [c.como_dict() for c in self.cifras],
            "inconsistencias": [asdict(i) for i in self.inconsistencias],
        }


class _Registro:
    def __init__(self, v: Verificacion):
        self.v = v

    def cifra(self, servicio, cuadro, concepto, recalculado, publicado, es_tasa=False,
              calculo=""):
        if publicado is None:
            return
        self.v.cifras.append(Cifra(servicio, cuadro, concepto, dec(recalculado), dec(publicado),
                                   es_tasa, calculo))

    def problema(self, servicio, cuadro, tipo, mensaje):
        self.v.inconsistencias.append(Inconsistencia(servicio, cuadro, tipo, mensaje))


def _media_unidad(x) -> Decimal:
    return Decimal(5).scaleb(-decimales_de(x) - 1) if isinstance(x, Decimal) else Decimal(0)


def _nombre_cuadro(clave: str) -> str:
    return "Cuadro " + clave.split("_", 1)[1] if clave.startswith("cuadro_") else clave


def _etiqueta_fila(f: Mapping) -> str:
    for k in ("sector", "zona", "categoria", "uso", "descripcion"):
        if k in f:
            extra = f" ({f['categoria']})" if k == "descripcion" and "categoria" in f else ""
            return f"{k} {f[k]}{extra}"
    return "fila"


# ---------------------------------------------------------------------------------------------
# comprobaciones genéricas sobre el texto publicado
# ---------------------------------------------------------------------------------------------


def _revisar_sumas(reg: _Registro, servicio: str, clave: str, c: Mapping) -> None:
    filas, totales = c.get("filas"), c.get("totales")
    if not filas or not totales:
        return
    nombre = _nombre_cuadro(clave)
    for k, total in totales.items():
        if isinstance(total, bool) or not isinstance(total, (int, Decimal)):
            continue
        valores = [f[k] for f in filas if isinstance(f.get(k), (int, Decimal))]
        if not valores:
            continue
        suma = sum((dec(x) for x in valores), CERO)
        tol = sum((_media_unidad(x) for x in valores), CERO) + _media_unidad(total)
        if k == "porcentaje" and abs(dec(total) - 100) > _media_unidad(total) + tol:
            reg.problema(servicio, nombre, "porcentaje",
                         f"el total de la columna de porcentajes es {total} % y no 100 % "
                         f"(sus filas suman {num(suma, decimales_de(total))} %)")
            continue
        if abs(suma - dec(total)) > tol:
            d = max([decimales_de(x) for x in valores] + [decimales_de(total)])
            reg.problema(servicio, nombre, "suma",
                         f"el total publicado de «{k}» es {num(total, d)} pero sus filas suman "
                         f"{num(suma, d)} (diferencia {num(dec(total) - suma, d)})")


class _Evaluador:
    """Evalúa una expresión de columnas (``g / b``, ``d / suma(d) * 100``) sobre intervalos."""

    def __init__(self, expresion: str):
        self.arbol = ast.parse(expresion, mode="eval").body
        self.variables = sorted({n.id for n in ast.walk(self.arbol)
                                 if isinstance(n, ast.Name) and n.id != "suma"} -
                                {n.args[0].id for n in ast.walk(self.arbol)
                                 if isinstance(n, ast.Call) and n.args
                                 and isinstance(n.args[0], ast.Name)
                                 and not any(isinstance(m, ast.Name) and m.id == n.args[0].id
                                             for m in self._fuera_de_suma())})

    def _fuera_de_suma(self):
        dentro = set()
        for n in ast.walk(self.arbol):
            if isinstance(n, ast.Call):
                dentro.update(id(m) for m in ast.walk(n))
        return [n for n in ast.walk(self.arbol) if id(n) not in dentro]

    def _eval(self, n, valores: Mapping[str, Decimal], sumas: Mapping[str, Decimal]) -> Decimal:
        if isinstance(n, ast.BinOp):
            a, b = self._eval(n.left, valores, sumas), self._eval(n.right, valores, sumas)
            if isinstance(n.op, ast.Add):
                return a + b
            if isinstance(n.op, ast.Sub):
                return a - b
            if isinstance(n.op, ast.Mult):
                return mul(a, b)
            if isinstance(n.op, ast.Div):
                if b == 0:
                    raise ZeroDivisionError
                return div(a, b)
        if isinstance(n, ast.Constant):
            return dec(str(n.value))
        if isinstance(n, ast.Name):
            return valores[n.id]
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "suma":
            return sumas[n.args[0].id]
        raise ValueError(f"no se admite «{ast.unparse(n)}»")

    def intervalo(self, valores: Mapping[str, Decimal], sumas: Mapping[str, Decimal]):
        nombres = [v for v in self.variables if v in valores]
        resultados = []
        for signos in itertools.product((-1, 1), repeat=len(nombres)):
            vals = dict(valores)
            for s, nombre in zip(signos, nombres):
                vals[nombre] = dec(valores[nombre]) + s * _media_unidad(valores[nombre])
            resultados.append(self._eval(self.arbol, vals, sumas))
        return min(resultados), max(resultados), self._eval(self.arbol, valores, sumas)


def _formula_invalida(servicio: str, clave: str, col: str, expr: str, motivo: str
                      ) -> ErrorOrdenanza:
    return ErrorOrdenanza(
        f"[publicado.{servicio}.{clave}].formulas: la expresión «{expr}» de la columna ({col}) no "
        f"se puede evaluar ({motivo}); corríjala usando solo letras de [columnas], números, "
        "+, -, *, / y suma(letra)")


def _revisar_formulas(reg: _Registro, servicio: str, clave: str, c: Mapping) -> None:
    formulas, columnas = c.get("formulas"), c.get("columnas")
    if not formulas or not columnas:
        return
    nombre = _nombre_cuadro(clave)
    filas = list(c.get("filas", []))
    constantes = {k: v for k, v in c.items() if isinstance(v, (int, Decimal))}
    for fo in formulas:
        texto, expr, col = fo["texto"], fo.get("expresion", ""), fo["columna"]
        if not expr:
            reg.problema(servicio, nombre, "formula",
                         f"la fórmula publicada «{texto}» de la columna ({col}) no es evaluable "
                         "(no dice cómo se obtienen sus cifras)")
            continue
        try:
            ev = _Evaluador(expr)
        except SyntaxError:
            raise _formula_invalida(servicio, clave, col, expr, "no es una expresión válida") from None
        sobre = [c.get("totales", {})] if fo.get("aplicar_a") == "totales" else filas
        sumas = {}
        for letra, k in columnas.items():
            vals = [dec(f[k]) for f in filas if isinstance(f.get(k), (int, Decimal))]
            sumas[letra] = sum(vals, CERO)
        fallos = []
        for f in sobre:
            objetivo = f.get(columnas[col])
            if not isinstance(objetivo, (int, Decimal)):
                continue
            valores = {}
            for letra, k in columnas.items():
                v = f.get(k, constantes.get(k))
                if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
                    valores[letra] = v if isinstance(v, Decimal) else Decimal(v)
            if any(v not in valores for v in ev.variables):
                continue
            try:
                lo, hi, centro = ev.intervalo(valores, sumas)
            except ZeroDivisionError:
                continue
            except ValueError as e:
                raise _formula_invalida(servicio, clave, col, expr, str(e)) from None
            except KeyError as e:
                raise _formula_invalida(servicio, clave, col, expr,
                                        f"la columna ({e.args[0]}) no está en [columnas]") from None
            h = _media_unidad(objetivo)
            if not isinstance(objetivo, Decimal) and "porcentaje" in columnas[col]:
                h = Decimal("0.5")  # porcentaje publicado sin decimales ("11%")
            if hi < dec(objetivo) - h or lo > dec(objetivo) + h:
                fallos.append((f, centro, objetivo))
        if fallos:
            f, centro, obj = fallos[0]
            d = max(decimales_de(obj), 2)
            reg.problema(servicio, nombre, "formula",
                         f"la fórmula publicada «{texto}» no corresponde a sus cifras en "
                         f"{len(fallos)} de {len(sobre)} filas; p. ej. en {_etiqueta_fila(f)}: "
                         f"{expr} = {num(centro, d)} y el cuadro publica {obj}")


def _resolver(publicado: Mapping, ruta: str):
    """Valor de una ruta ``servicio.cuadro.filas[clave=valor].campo`` (suma si hay varias filas)."""
    actual: Any = publicado
    for parte in ruta.split("."):
        if "[" in parte:
            nombre, cond = parte[:-1].split("[", 1)
            neg = "!=" in cond
            k, v = cond.split("!=" if neg else "=", 1)
            filas = actual.get(nombre, [])
            actual = [f for f in filas if (str(f.get(k)) == v) != neg]
        elif isinstance(actual, (list, tuple)) and actual and isinstance(actual[0], Mapping):
            actual = [f.get(parte) for f in actual]
        else:
            actual = actual.get(parte) if isinstance(actual, Mapping) else None
        if actual is None:
            return None, CERO
    if isinstance(actual, (list, tuple)):
        vals = [x for x in actual if x is not None]
        return sum((dec(x) for x in vals), CERO), sum((_media_unidad(x) for x in vals), CERO)
    return actual, _media_unidad(actual)


def _revisar_cruces(reg: _Registro, o: Ordenanza) -> None:
    for cr in o.publicado.get("cruces", []):
        (a, ta), (b, tb) = _resolver(o.publicado, cr["a"]), _resolver(o.publicado, cr["b"])
        if a is None or b is None:
            reg.problema("", "cruce", "cruce",
                         f"no se encontró la cifra {cr['a'] if a is None else cr['b']} "
                         f"({cr['descripcion']}); revise esa ruta en [[publicado.cruces]]")
            continue
        tol = ta + tb
        iguales = abs(dec(a) - dec(b)) <= tol
        servicio = cr["a"].split(".", 1)[0]
        cuadros = sorted({_nombre_cuadro(r.split(".")[1]) for r in (cr["a"], cr["b"])})
        donde = " / ".join(cuadros)
        if cr.get("relacion", "igual") == "igual" and not iguales:
            reg.problema(servicio, donde, "cruce",
                         f"{cr['descripcion']}: {a} frente a {b}")
        elif cr.get("relacion") == "distinto" and iguales:
            reg.problema(servicio, donde, "metodo",
                         f"{cr['descripcion']}: ambas valen {a}; {cr.get('explicacion', '')}".rstrip("; "))


def _revisar_costos(reg: _Registro, o: Ordenanza, servicio: str) -> None:
    costo = o.servicio(servicio).costo
    pub = o.publicado.get(servicio, {})
    fuente = costo.fuente or "resumen de costos"
    suma = costo.directos + costo.indirectos + costo.fijos
    reg.cifra(servicio, fuente, "Costo total = directos + indirectos + fijos", suma, costo.total)
    for d in pub.get("costos_declarados", []):
        declarado = dec(d["valor"])
        oficial = getattr(costo, d["concepto"])
        reg.cifra(servicio, d["fuente"], f"Costo {d['concepto']}", oficial, declarado)
        if declarado != oficial:
            reg.problema(servicio, d["fuente"], "costo",
                         f"el costo {d['concepto']} se declara {num(declarado)} en {d['fuente']} y "
                         f"{num(oficial)} en {fuente}")
    if costo.partidas:
        por_tipo: dict[str, Decimal] = {}
        por_grupo: dict[tuple[str, str], Decimal] = {}
        for p in costo.partidas:
            por_tipo[p.tipo] = por_tipo.get(p.tipo, CERO) + p.anual
            por_grupo[(p.tipo, p.grupo)] = por_grupo.get((p.tipo, p.grupo), CERO) + p.anual
        for tipo, s in por_tipo.items():
            if s != getattr(costo, tipo):
                reg.problema(servicio, "estructura de costos", "suma",
                             f"las partidas de costos {tipo} suman {num(s)} y el resumen dice "
                             f"{num(getattr(costo, tipo))} (diferencia {num(getattr(costo, tipo) - s)})")
        for st in pub.get("subtotales_cuadro_07", []) if servicio == "barrido" else []:
            s = por_grupo.get((st["tipo"], st["grupo"]))
            if s is not None and s != dec(st["anual"]):
                reg.problema(servicio, "Cuadro 07", "suma",
                             f"el subtotal anual «{st['grupo']}» es {num(st['anual'])} pero sus "
                             f"partidas suman {num(s)}")


def _revisar_comparativo(reg: _Registro, servicio: str, clave: str, c: Mapping) -> None:
    nombre = _nombre_cuadro(clave)
    inc = dec(c["costo"]) - dec(c["costo_base"])
    reg.cifra(servicio, nombre, "Incremento", inc, c["incremento"])
    reg.cifra(servicio, nombre, "Incremento %", div(inc, c["costo_base"]) * 100, c["porcentaje"])
    if abs(inc - dec(c["incremento"])) > Decimal("0.01"):
        reg.problema(servicio, nombre, "suma",
                     f"el incremento publicado {num(c['incremento'])} no es {num(c['costo'])} − "
                     f"{num(c['costo_base'])} = {num(inc)}")


def _revisar_exoneraciones(reg: _Registro, o: Ordenanza, servicio: str, clave: str,
                           c: Mapping, tasa_de) -> dict[str, Any]:
    """Recalcula un cuadro de exonerados y contrasta sus porcentajes con los Art. 7–8.

    ``tasa_de(fila) -> (tasa_mensual, tasa_anual)`` da las tasas sin redondear que corresponden
    a la fila (o ``None`` si el cuadro aplica una tasa que el motor no reconoce).
    """
    nombre = _nombre_cuadro(clave)
    tot = {"predios": 0, "base": CERO, "monto_mensual": CERO, "monto_anual": CERO,
           "exonerar_mensual": CERO, "exonerar_anual": CERO, "por_clave": {},
           "como_calculado": CERO, "por_clave_calculado": {}, "sustituidas": [], "impresas": 0}
    encabezados = [dec(x) for x in c.get("encabezados_descuento", [])]
    for f in c["filas"]:
        et = f"{f['descripcion']}" + (f" ({f['categoria']})" if "categoria" in f else "")
        pct = dec(f["porcentaje_aplicado"])
        tm, ta = tasa_de(f)
        base = dec(f.get("base", f.get("predios", 0)))
        mm, ma = mul(base, tm), mul(base, ta)
        em, ea = mul(mm, pct) / 100, mul(ma, pct) / 100
        reg.cifra(servicio, nombre, f"{et}: monto mensual", mm, f.get("monto_mensual"))
        reg.cifra(servicio, nombre, f"{et}: monto anual", ma, f.get("monto_anual"))
        reg.cifra(servicio, nombre, f"{et}: monto mensual a exonerar", em, f.get("exonerar_mensual"))
        reg.cifra(servicio, nombre, f"{et}: monto anual a exonerar", ea, f.get("exonerar_anual"))
        tot["predios"] += int(f.get("predios", 0))
        tot["base"] += base
        for k, v in (("monto_mensual", mm), ("monto_anual", ma), ("exonerar_mensual", em),
                     ("exonerar_anual", ea)):
            tot[k] += v
        # la cifra impresa en «monto anual a exonerar», tal como se calculó: el primero de los
        # montos de la fila (sin redondear) que redondeado a la precisión publicada la reproduce;
        # si ninguno, la cifra impresa (sus decimales no publicados no se pueden recuperar)
        calc, impresa = ea, f.get("exonerar_anual")
        if impresa is not None:
            dp = decimales_de(impresa)
            nombres = (("anual a exonerar", ea), ("mensual a exonerar", em), ("anual", ma),
                       ("mensual", mm))
            hallado = next(((n, x) for n, x in nombres if redondear(x, dp) == dec(impresa)), None)
            if hallado is None:
                calc = dec(impresa)
                tot["impresas"] += 1
            else:
                calc = hallado[1]
                if hallado[0] != "anual a exonerar":
                    tot["sustituidas"].append((et, hallado[0], dec(impresa), ea))
        tot["como_calculado"] += calc
        for k in ("uso", "categoria", "zona"):
            if k in f:
                clave_f = (k, str(f[k]))
                tot["por_clave"][clave_f] = tot["por_clave"].get(clave_f, CERO) + ea
                tot["por_clave_calculado"][clave_f] = (
                    tot["por_clave_calculado"].get(clave_f, CERO) + calc)
        # columna "Descuento del NN %" donde se puso el monto
        for k, v in f.items():
            if k.startswith("descuento_"):
                col = dec(k.split("_", 1)[1])
                # coherencia interna de la fila: el descuento es el % del monto anual publicado
                esperado = mul(f.get("monto_anual", ma), pct) / 100
                if col != pct:
                    reg.problema(servicio, nombre, "exoneracion",
                                 f"{et}: el monto exonerado está en la columna «Descuento del "
                                 f"{col} %» pero equivale al {pct} % del monto anual")
                if abs(dec(v) - esperado) > Decimal("0.015") + _media_unidad(v):
                    reg.problema(servicio, nombre, "exoneracion",
                                 f"{et}: la columna «Descuento del {col} %» dice {num(v)}; el "
                                 f"{pct} % del monto anual ({num(f.get('monto_anual', ma))}) es "
                                 f"{num(esperado)}")
        # artículos 7–8
        for cond in f.get("condiciones", []) if int(f.get("predios", 1)) > 0 else []:
            art = o.porcentaje_exonerado(cond, servicio)
            if art != pct:
                exo = o.exoneraciones.get(cond)
                articulo = f"Art. {exo.articulo}" if exo else "la ordenanza"
                reg.problema(servicio, nombre, "exoneracion",
                             f"{et}: aplica {pct} % de descuento a «{cond}» y {articulo} establece "
                             f"{art} % para {NOMBRES_SERVICIO[servicio].lower()}")
        # mensual frente a anual
        mmp, map_ = f.get("monto_mensual"), f.get("monto_anual")
        emp, eap = f.get("exonerar_mensual"), f.get("exonerar_anual")
        if mmp and map_ and emp is not None and eap is not None and dec(mmp) > 0 and dec(map_) > 0:
            rm, ra = div(emp, mmp) * 100, div(eap, map_) * 100
            if abs(rm - ra) > 2:
                reg.problema(servicio, nombre, "exoneracion",
                             f"{et}: el monto mensual a exonerar ({emp}) es el {num(rm, 0)} % del "
                             f"monto mensual, pero el anual ({eap}) es el {num(ra, 0)} % del anual")
    for col in encabezados:
        usados = {dec(f["porcentaje_aplicado"]) for f in c["filas"]}
        if col not in usados:
            reg.problema(servicio, nombre, "exoneracion",
                         f"el encabezado «Descuento del {col} %» no corresponde a ningún "
                         f"porcentaje aplicado en el cuadro (se aplican "
                         f"{', '.join(str(u) + ' %' for u in sorted(usados))})")
    t = c.get("totales", {})
    for k in ("predios", "base", "monto_mensual", "monto_anual", "exonerar_mensual"):
        if k in t:
            reg.cifra(servicio, nombre, f"Total {k.replace('_', ' ')}", tot[k], t[k])
    if "exonerar_anual" in t:
        _total_exonerado(reg, servicio, nombre, tot, c["filas"], t["exonerar_anual"])
    return tot


def _total_exonerado(reg: _Registro, servicio: str, nombre: str, tot: Mapping, filas,
                     publicado) -> None:
    """El total «monto anual a exonerar»: con la fórmula del motor y, si no la reproduce, como lo
    calculó la ordenanza (la suma de sus filas impresas, sin redondear)."""
    pub, dp = dec(publicado), decimales_de(publicado)
    impresas = sum((dec(f["exonerar_anual"]) for f in filas if "exonerar_anual" in f), CERO)
    if redondear(tot["exonerar_anual"], dp) == pub:
        reg.cifra(servicio, nombre, "Total exonerar anual", tot["exonerar_anual"], pub,
                  calculo=f"Σ filas (monto anual × % aplicado), sin redondear = "
                          f"{num(tot['exonerar_anual'], 4)}")
        return
    if tot["sustituidas"] and not tot["impresas"] and redondear(tot["como_calculado"], dp) == pub:
        cuales = "; ".join(f"{et}: {num(x, dp)} es su monto {q}" for et, q, x, _ in tot["sustituidas"])
        reg.cifra(servicio, nombre, "Total exonerar anual (como lo sumó la ordenanza)",
                  tot["como_calculado"], pub,
                  calculo=f"Σ de las cifras de la columna tal como se calcularon, sin redondear "
                          f"= {num(tot['como_calculado'], 4)} ({cuales})")
        for et, q, x, ea in tot["sustituidas"]:
            reg.problema(servicio, nombre, "suma",
                         f"el total «monto anual a exonerar» {num(pub, dp)} suma, en la fila {et}, "
                         f"{num(x, dp)} —su monto {q}— en lugar de su monto anual a exonerar "
                         f"({num(ea, dp)}); con los montos anuales el total es "
                         f"{num(tot['exonerar_anual'], dp)}")
        return
    reg.cifra(servicio, nombre, "Total exonerar anual (suma de las filas publicadas)", impresas, pub,
              calculo=f"Σ de la columna publicada = {num(impresas, dp)}; con la fórmula del motor "
                      f"(predios × tasa × 12 × % aplicado) = {num(tot['exonerar_anual'], dp)}")
    if impresas != pub:
        reg.problema(servicio, nombre, "suma",
                     f"el total «monto anual a exonerar» {num(pub, dp)} no es la suma de sus filas "
                     f"({num(impresas, dp)}) ni sale de los insumos publicados: la diferencia cabe "
                     f"en el redondeo de las filas, pero sus montos sin redondear no se publican "
                     f"(ninguna fila se reproduce con las tasas que imprime)")


def _proyectado(reg: _Registro, servicio: str, nombre: str, d: Decimal, e_calc: Decimal,
                e_pub, f_pub, d_pub=None, filas_f: Iterable | None = None,
                concepto: str = "Total ingreso proyectado") -> None:
    """Ingreso anual proyectado (f) = (d) − (e), como lo calculó la ordenanza.

    Se prueban, en este orden y sin más, cuatro cuentas sobre cifras publicadas o recalculadas
    de los insumos: (d) − (e) sin redondear; (d) − (e) con las cifras publicadas; la suma de la
    columna (f) publicada; (d) − (e) con (e) truncado al céntimo. La primera que reproduce la cifra
    da el ✓ y se dice cuál fue; si la cuenta no es (d) − (e) con las cifras publicadas, además se
    informa la inconsistencia.
    """
    if f_pub is None:
        return
    f_pub, dp = dec(f_pub), decimales_de(f_pub)
    d_pub = dec(d_pub) if d_pub is not None else redondear(d, dp)
    e_pub = dec(e_pub) if e_pub is not None else redondear(e_calc, dp)
    filas_f = [dec(x) for x in filas_f or [] if x is not None]
    cuentas = [
        ("(d) − (e) sin redondear", d - e_calc,
         f"{num(d, 4)} − {num(e_calc, 4)}"),
        ("(d) − (e) con las cifras publicadas", d_pub - e_pub, f"{num(d_pub, dp)} − {num(e_pub, dp)}"),
    ]
    if filas_f:
        cuentas.append(("suma de la columna (f) publicada", sum(filas_f, CERO),
                        " + ".join(num(x, dp) for x in filas_f)))
    cuentas.append(("(d) − (e) con (e) sin redondear truncado al céntimo",
                    d - truncar(e_calc, dp), (f"{num(d, dp)} − trunc({num(e_calc, 4)}) = "
                                              f"{num(d, dp)} − {num(truncar(e_calc, dp), dp)}")))
    aciertos = [c for c in cuentas if redondear(c[1], dp) == f_pub]
    formula_ok = redondear(d_pub - e_pub, dp) == f_pub
    if aciertos:
        nombre_c, valor, texto = aciertos[0]
        otras = [c[0] for c in aciertos[1:]]
        reg.cifra(servicio, nombre, concepto, valor, f_pub,
                  calculo=f"{nombre_c}: {texto} = {num(valor, dp)}"
                          + (f" (también: {'; '.join(otras)})" if otras else ""))
    else:
        reg.cifra(servicio, nombre, concepto, d - e_calc, f_pub,
                  calculo=f"(d) − (e) = {num(d, 4)} − {num(e_calc, 4)}")
    if not formula_ok:
        extra = (f"; {num(f_pub, dp)} sale de {aciertos[0][0]}" if aciertos else "")
        reg.problema(servicio, nombre, "formula",
                     f"(f) = (d) − (e) con las cifras publicadas da {num(d_pub, dp)} − "
                     f"{num(e_pub, dp)} = {num(d_pub - e_pub, dp)} y el cuadro publica "
                     f"{num(f_pub, dp)}{extra}")


# ---------------------------------------------------------------------------------------------
# por servicio
# ---------------------------------------------------------------------------------------------


def _comparar_filas(reg, servicio, nombre, cuadro: Cuadro, publicadas, clave, campos, tasas=()):
    por_clave = {str(f[clave]): f for f in cuadro.filas}
    for p in publicadas:
        r = por_clave.get(str(p[clave]))
        if r is None:
            continue
        for k in campos:
            if k in p and k in r:
                reg.cifra(servicio, nombre, f"{clave} {p[clave]}: {k}", r[k], p[k], k in tasas)


def _comparar_totales(reg, servicio, nombre, cuadro: Cuadro, totales_pub, campos):
    for k in campos:
        if k in totales_pub and k in cuadro.totales:
            reg.cifra(servicio, nombre, f"Total {k}", cuadro.totales[k], totales_pub[k])


def _totales_ingresos(reg: _Registro, servicio: str, nombre: str, tot: Mapping, c: Mapping) -> None:
    """Totales de un cuadro de ingresos (25, 26, 34) y su ingreso proyectado (f) = (d) − (e)."""
    t = c["totales"]
    for k in ("ingreso_mensual", "ingreso_anual", "exonerado"):
        reg.cifra(servicio, nombre, f"Total {k.replace('_', ' ')}", tot[k], t.get(k))
    _proyectado(reg, servicio, nombre, tot["ingreso_anual"], tot["exonerado"],
                t.get("exonerado"), t.get("proyectado"), t.get("ingreso_anual"),
                [f.get("proyectado") for f in c["filas"]])


def _verificar_barrido(reg: _Registro, o: Ordenanza) -> None:
    s, pub = "barrido", o.publicado.get("barrido", {})
    if "cuadro_09" not in pub:
        return
    frec = {x.sector: x.frecuencia_semanal for x in o.barrido.sectores}
    entrada = [{"sector": str(f["sector"]), "predios": f["predios"], "frontis_ml": f["frontis_ml"],
                "frecuencia_semanal": frec.get(str(f["sector"]), f["frecuencia_semanal"])}
               for f in pub["cuadro_09"]["filas"]]
    c10 = m_barrido.distribuir(o.barrido.costo.total, entrada, o.meses)
    reg.v.cuadros["10"] = c10
    _comparar_filas(reg, s, "Cuadro 09", c10, pub["cuadro_09"]["filas"], "sector",
                    ["frecuencia_semanal", "ponderado_ml"])
    _comparar_totales(reg, s, "Cuadro 09", c10, pub["cuadro_09"]["totales"],
                      ["predios", "frontis_ml", "ponderado_ml"])
    if "cuadro_10" in pub:
        _comparar_filas(reg, s, "Cuadro 10", c10, pub["cuadro_10"]["filas"], "sector",
                        ["ponderado_ml", "porcentaje", "costo_relativo", "tasa_anual_ml",
                         "tasa_mensual_ml"], tasas=("tasa_anual_ml", "tasa_mensual_ml"))
        _comparar_totales(reg, s, "Cuadro 10", c10, pub["cuadro_10"]["totales"],
                          ["predios", "frontis_ml", "ponderado_ml", "porcentaje", "costo_relativo"])
    tasas = {f["sector"]: (f["tasa_mensual_ml"], f["tasa_anual_ml"]) for f in c10.filas}

    def tasa_de(f):
        ts = [tasas[str(x)] for x in f.get("sectores", []) if str(x) in tasas]
        tm = sum((t[0] for t in ts), CERO) / len(ts)
        ta = sum((t[1] for t in ts), CERO) / len(ts)
        reg.cifra(s, "Cuadro 11", f"{f['descripcion']}: tasa mensual por ml", tm,
                  f.get("tasa_mensual"), True)
        return tm, ta

    exo = {"exonerar_anual": CERO, "como_calculado": CERO}
    if "cuadro_11" in pub:
        exo = _revisar_exoneraciones(reg, o, s, "cuadro_11", pub["cuadro_11"], tasa_de)
    if "cuadro_12" in pub:
        c12 = pub["cuadro_12"]
        ingreso = CERO
        for f in c12["filas"]:
            tm, _ = tasas[str(f["sector"])]
            reg.cifra(s, "Cuadro 12", f"sector {f['sector']}: tasa mensual por ml", tm,
                      f["tasa_mensual_ml"], True)
            im = mul(f["frontis_ml"], tm)
            ingreso += im
            reg.cifra(s, "Cuadro 12", f"sector {f['sector']}: ingreso mensual", im,
                      f["ingreso_mensual"])
        t = c12["totales"]
        reg.cifra(s, "Cuadro 12", "Total ingreso mensual", ingreso, t.get("ingreso_mensual"))
        reg.cifra(s, "Cuadro 12", "Total ingreso anual", ingreso * o.meses, t.get("ingreso_anual"))
        reg.cifra(s, "Cuadro 12", "Monto por predios exonerados", exo["exonerar_anual"],
                  t.get("exonerado"))
        _proyectado(reg, s, "Cuadro 12", ingreso * o.meses, exo.get("como_calculado", CERO),
                    t.get("exonerado"), t.get("proyectado"), t.get("ingreso_anual"),
                    concepto="Ingreso anual proyectado")


def _verificar_recoleccion(reg: _Registro, o: Ordenanza) -> None:
    s, pub = "recoleccion", o.publicado.get("recoleccion", {})
    if "cuadro_19" not in pub:
        return
    if "cuadro_17" in pub:
        _revisar_comparativo(reg, s, "cuadro_17", pub["cuadro_17"])
    c19p = pub["cuadro_19"]
    gen = {z.zona: z.generacion_t_dia for z in o.recoleccion.zonas}
    for f in c19p["filas"]:
        comp = sum((dec(f.get(k, 0)) for k in ("domiciliaria", "no_domiciliaria", "especiales")),
                   CERO)
        reg.cifra(s, "Cuadro 19", f"zona {f['zona']}: generación t/día (suma de fuentes)", comp,
                  f["generacion_t_dia"])
    c19 = m_recoleccion.distribuir_zonas(
        o.recoleccion.costo.total,
        [{"zona": f["zona"], "predios": f["predios"], "generacion_t_dia": gen.get(f["zona"], 0)}
         for f in c19p["filas"]])
    reg.v.cuadros["19"] = c19
    _comparar_filas(reg, s, "Cuadro 19", c19, c19p["filas"], "zona",
                    ["generacion_t_dia", "porcentaje", "costo_relativo"])
    _comparar_totales(reg, s, "Cuadro 19", c19, c19p["totales"],
                      ["predios", "generacion_t_dia", "porcentaje", "costo_relativo"])
    costo_zona = {f["zona"]: f["costo_relativo"] for f in c19.filas}
    tasas: dict[tuple[str, int], tuple[Decimal, Decimal]] = {}
    costo_uso: dict[tuple[str, int], Decimal] = {}
    pares = [("cuadro_20", "cuadro_22", "20", "22"), ("cuadro_21", "cuadro_23", "21", "23")]
    for cg, ct, ng, nt in pares:
        if cg not in pub or ct not in pub:
            continue
        zona = pub[cg]["zona"]
        kg = o.recoleccion.generacion_kg_predio_dia.get(zona, {})
        areas = {int(f["uso"]): f["area_m2"] for f in pub[ct]["filas"]}
        entrada = [{"uso": int(f["uso"]), "predios": f["predios"],
                    "kg_predio_dia": kg.get(int(f["uso"]), CERO),
                    "area_m2": areas.get(int(f["uso"]), CERO)} for f in pub[cg]["filas"]]
        cu = m_recoleccion.distribuir_usos(costo_zona.get(zona, CERO), entrada, o.meses, zona)
        cu.numero = ng
        reg.v.cuadros[ng] = cu
        _comparar_filas(reg, s, f"Cuadro {ng}", cu, pub[cg]["filas"], "uso",
                        ["kg_predio_dia", "kg_dia", "t_anio", "porcentaje", "costo_relativo"])
        _comparar_totales(reg, s, f"Cuadro {ng}", cu, pub[cg]["totales"],
                          ["predios", "kg_dia", "t_anio", "porcentaje", "costo_relativo"])
        _comparar_filas(reg, s, f"Cuadro {nt}", cu, pub[ct]["filas"], "uso",
                        ["costo_relativo", "tasa_anual_m2", "tasa_mensual_m2"],
                        tasas=("tasa_anual_m2", "tasa_mensual_m2"))
        _comparar_totales(reg, s, f"Cuadro {nt}", cu, pub[ct]["totales"],
                          ["predios", "area_m2", "costo_relativo"])
        for f in cu.filas:
            tasas[(zona, f["uso"])] = (f["tasa_mensual_m2"], f["tasa_anual_m2"])
            costo_uso[(zona, f["uso"])] = f["costo_relativo"]

    def tasa_de(f):
        tm, ta = tasas.get((f["zona"], int(f["uso"])), (CERO, CERO))
        reg.cifra(s, "Cuadro 24", f"{f['descripcion']}: tasa mensual por m²", tm,
                  f.get("tasa_mensual"), True)
        return tm, ta

    exo = {"por_clave": {}, "por_clave_calculado": {}, "exonerar_anual": CERO}
    if "cuadro_24" in pub:
        exo = _revisar_exoneraciones(reg, o, s, "cuadro_24", pub["cuadro_24"], tasa_de)
    for clave, numero in (("cuadro_25", "25"), ("cuadro_26", "26")):
        if clave not in pub:
            continue
        c = pub[clave]
        zona = c["zona"]
        tot = {"ingreso_mensual": CERO, "ingreso_anual": CERO, "exonerado": CERO}
        for f in c["filas"]:
            u = int(f["uso"])
            tm, _ = tasas.get((zona, u), (CERO, CERO))
            reg.cifra(s, f"Cuadro {numero}", f"uso {u}: tasa mensual por m²", tm,
                      f["tasa_mensual_m2"], True)
            im = mul(f["area_m2"], tm)
            ia = costo_uso.get((zona, u), CERO)
            ex = (exo["por_clave_calculado"].get(("uso", str(u)), CERO)
                  if zona == "A" and "cuadro_24" in pub else CERO)
            reg.cifra(s, f"Cuadro {numero}", f"uso {u}: ingreso mensual", im, f["ingreso_mensual"])
            reg.cifra(s, f"Cuadro {numero}", f"uso {u}: ingreso anual", ia, f["ingreso_anual"])
            reg.cifra(s, f"Cuadro {numero}", f"uso {u}: exonerado", ex, f["exonerado"])
            reg.cifra(s, f"Cuadro {numero}", f"uso {u}: ingreso proyectado", ia - ex, f["proyectado"])
            tot["ingreso_mensual"] += im
            tot["ingreso_anual"] += ia
            tot["exonerado"] += ex
        _totales_ingresos(reg, s, f"Cuadro {numero}", tot, c)


def _verificar_parques(reg: _Registro, o: Ordenanza) -> None:
    s, pub = "parques", o.publicado.get("parques", {})
    if "cuadro_28" in pub:
        _revisar_comparativo(reg, s, "cuadro_28", pub["cuadro_28"])
    en_texto = pub.get("categorias_en_texto")
    if en_texto and len(en_texto) != len(o.parques.categorias):
        reg.problema(s, "Art. 16.1 / Cuadros 31–34", "metodo",
                     f"el texto define {len(en_texto)} categorías de ubicación "
                     f"({', '.join(en_texto)}) y los cuadros distribuyen el costo en "
                     f"{len(o.parques.categorias)} "
                     f"({', '.join(c.nombre.lower() for c in o.parques.categorias)})")
    idx = {c.categoria: c.indice_disfrute for c in o.parques.categorias}
    if "cuadro_31" in pub:
        filas = pub["cuadro_31"]["filas"]
        # la base del índice: (g) = (f) / base → base ∈ [f/(g+h), f/(g−h)] para cada fila
        lo, hi = Decimal("-Infinity"), Decimal("Infinity")
        for f in filas:
            prom = (dec(f["pregunta_1"]) + dec(f["pregunta_2"]) + dec(f["pregunta_3"])) / 3
            reg.cifra(s, "Cuadro 31", f"categoría {f['categoria']}: promedio", prom, f["promedio"])
            g, h = dec(f["indice_disfrute"]), _media_unidad(f["indice_disfrute"])
            lo, hi = max(lo, div(prom, g + h)), min(hi, div(prom, g - h))
        promedios = [dec(f["promedio"]) for f in filas]
        if lo <= hi and not any(lo <= p <= hi for p in promedios):
            reg.problema(s, "Cuadro 31", "formula",
                         f"la fórmula «{pub['cuadro_31'].get('formula_indice', '')}» no dice qué es "
                         f"la base: los índices publicados implican una base entre {num(lo, 4)} y "
                         f"{num(hi, 4)}, que no es el promedio de ninguna fila "
                         f"({', '.join(str(p) for p in promedios)})")
        elif lo > hi:
            reg.problema(s, "Cuadro 31", "formula",
                         "los índices de disfrute publicados no son proporcionales a los "
                         "promedios: no hay una base común que los reproduzca")
        # los índices del archivo deben ser los publicados
        for f in filas:
            if f["categoria"] in idx:
                reg.cifra(s, "Cuadro 31", f"categoría {f['categoria']}: índice de disfrute",
                          idx[f["categoria"]], f["indice_disfrute"])
    if "cuadro_32" not in pub:
        return
    c32p = pub["cuadro_32"]
    c32 = m_parques.distribuir(o.parques.costo.total,
                               [{"categoria": f["categoria"], "predios": f["predios"],
                                 "indice_disfrute": idx.get(f["categoria"], f["indice_disfrute"])}
                                for f in c32p["filas"]], o.meses)
    reg.v.cuadros["32"] = c32
    _comparar_filas(reg, s, "Cuadro 32", c32, c32p["filas"], "categoria",
                    ["ponderado", "porcentaje", "costo_relativo", "tasa_anual", "tasa_mensual"],
                    tasas=("tasa_anual", "tasa_mensual"))
    _comparar_totales(reg, s, "Cuadro 32", c32, c32p["totales"],
                      ["predios", "ponderado", "porcentaje", "costo_relativo"])
    tasas = {f["categoria"]: (f["tasa_mensual"], f["tasa_anual"]) for f in c32.filas}
    costo_cat = {f["categoria"]: f["costo_relativo"] for f in c32.filas}

    def tasa_de(f):
        tm, ta = tasas.get(f["categoria"], (CERO, CERO))
        reg.cifra(s, "Cuadro 33", f"{f['descripcion']} ({f['categoria']}): tasa mensual", tm,
                  f.get("tasa_mensual"), True)
        return tm, ta

    exo = {"por_clave": {}, "por_clave_calculado": {}, "exonerar_anual": CERO}
    if "cuadro_33" in pub:
        exo = _revisar_exoneraciones(reg, o, s, "cuadro_33", pub["cuadro_33"], tasa_de)
    if "cuadro_34" in pub:
        c = pub["cuadro_34"]
        tot = {"ingreso_mensual": CERO, "ingreso_anual": CERO, "exonerado": CERO}
        for f in c["filas"]:
            k = f["categoria"]
            tm, _ = tasas.get(k, (CERO, CERO))
            im, ia = mul(f["predios"], tm), costo_cat.get(k, CERO)
            ex = exo["por_clave_calculado"].get(("categoria", k), CERO)
            ex_motor = exo["por_clave"].get(("categoria", k), CERO)
            if redondear(ex, 2) != redondear(ex_motor, 2):
                reg.problema(s, "Cuadro 34", "exoneracion",
                             f"categoría {k}: el monto exonerado {f['exonerado']} arrastra la cifra "
                             f"del Cuadro 33 que no es un monto anual; con los montos anuales "
                             f"sería {num(ex_motor)} y el ingreso proyectado "
                             f"{num(ia - ex_motor)}")
            reg.cifra(s, "Cuadro 34", f"categoría {k}: tasa mensual", tm, f["tasa_mensual"], True)
            reg.cifra(s, "Cuadro 34", f"categoría {k}: ingreso mensual", im, f["ingreso_mensual"])
            reg.cifra(s, "Cuadro 34", f"categoría {k}: ingreso anual", ia, f["ingreso_anual"])
            reg.cifra(s, "Cuadro 34", f"categoría {k}: exonerado", ex, f["exonerado"])
            reg.cifra(s, "Cuadro 34", f"categoría {k}: ingreso proyectado", ia - ex, f["proyectado"])
            tot["ingreso_mensual"] += im
            tot["ingreso_anual"] += ia
            tot["exonerado"] += ex
        _totales_ingresos(reg, s, "Cuadro 34", tot, c)


def _verificar_serenazgo(reg: _Registro, o: Ordenanza) -> None:
    s, pub = "serenazgo", o.publicado.get("serenazgo", {})
    if "cuadro_46" in pub:
        _revisar_comparativo(reg, s, "cuadro_46", pub["cuadro_46"])
    if "cuadro_47" not in pub:
        return
    c47p = pub["cuadro_47"]
    zona = o.serenazgo.zonas[0] if o.serenazgo.zonas else None
    entrada = [{"uso": int(f["uso"]), "zona": zona.zona if zona else "", "predios": f["predios"],
                "indice_peligrosidad": zona.indice_peligrosidad if zona else 1}
               for f in c47p["filas"]]
    c47, _ = m_serenazgo.distribuir(o.serenazgo.costo.total, entrada,
                                    o.serenazgo.incidencias_por_uso, o.meses)
    reg.v.cuadros["47"] = c47
    _comparar_filas(reg, s, "Cuadro 47", c47, c47p["filas"], "uso",
                    ["incidencias", "porcentaje", "costo_relativo", "tasa_anual", "tasa_mensual"],
                    tasas=("tasa_anual", "tasa_mensual"))
    _comparar_totales(reg, s, "Cuadro 47", c47, c47p["totales"],
                      ["predios", "incidencias", "porcentaje", "costo_relativo"])
    if "cuadro_48" not in pub:
        return
    mensuales = {redondear(f["tasa_mensual"], 2) for f in c47.filas}

    def tasa_de(f):
        t = dec(f["tasa_mensual"])
        if t not in mensuales:
            reg.problema(s, "Cuadro 48", "exoneracion",
                         f"{f['descripcion']}: aplica una tasa mensual de {t} por predio que no es "
                         f"ninguna de las tasas del Cuadro 47 "
                         f"({', '.join(str(x) for x in sorted(mensuales))})")
        # insumo tal como se publicó: no hay otra tasa de la que partir
        return t, t * o.meses

    exo = _revisar_exoneraciones(reg, o, s, "cuadro_48", pub["cuadro_48"], tasa_de)
    _proyectado(reg, s, "Cuadro 48", o.serenazgo.costo.total, exo["como_calculado"],
                pub["cuadro_48"].get("totales", {}).get("exonerar_anual"),
                pub["cuadro_48"].get("proyectado"), concepto="Ingreso anual proyectado")


_VERIFICADORES = {
    "barrido": _verificar_barrido,
    "recoleccion": _verificar_recoleccion,
    "parques": _verificar_parques,
    "serenazgo": _verificar_serenazgo,
}


@con_contexto
def verificar_ordenanza(ordenanza: Ordenanza) -> Verificacion:
    """Recalcula los cuadros del Anexo con los agregados publicados y lista las inconsistencias.

    Parameters
    ----------
    ordenanza : la ordenanza cargada con :func:`geo.ordenanza.cargar_ordenanza`; su sección
        ``[publicado]`` trae los agregados y las cifras a verificar.

    Returns
    -------
    Verificacion
        ``cifras`` (recalculada frente a publicada, ✓/✗ a la precisión publicada),
        ``inconsistencias`` del texto y ``codigo_salida`` (0 si todas las tasas se reproducen).
    """
    meta = ordenanza.meta
    v = Verificacion(ordenanza.ruta, f"{meta.get('ordenanza', '')} — {meta.get('municipalidad', '')}"
                     f" — ejercicio {meta.get('ejercicio', '')}")
    reg = _Registro(v)
    for s in SERVICIOS:
        _revisar_costos(reg, ordenanza, s)
        _VERIFICADORES[s](reg, ordenanza)
        for clave, c in ordenanza.publicado.get(s, {}).items():
            if isinstance(c, Mapping):
                _revisar_sumas(reg, s, clave, c)
                _revisar_formulas(reg, s, clave, c)
    _revisar_cruces(reg, ordenanza)
    return v


# ---------------------------------------------------------------------------------------------
# informe
# ---------------------------------------------------------------------------------------------


def _tabla(filas: list[list[str]], alinear_derecha: Iterable[int]) -> list[str]:
    der = set(alinear_derecha)
    anchos = [max(len(f[i]) for f in filas) for i in range(len(filas[0]))]
    out = []
    for j, f in enumerate(filas):
        celdas = [c.rjust(anchos[i]) if i in der else c.ljust(anchos[i]) for i, c in enumerate(f)]
        out.append("  ".join(celdas).rstrip())
        if j == 0:
            out.append("  ".join("─" * a for a in anchos))
    return out


def formatear_verificacion(v: Verificacion, formato: str = "texto", solo_distintas: bool = False
                           ) -> str:
    """Informe de la verificación en español: ``"texto"`` (tablas alineadas) o ``"json"``."""
    if formato == "json":
        return json.dumps(v.como_dict(), ensure_ascii=False, indent=2)
    if formato != "texto":
        raise ValueError(f"formato {formato!r} desconocido; use 'texto' o 'json'")
    r = v.resumen()
    lineas = [f"VERIFICACIÓN DE LA ORDENANZA — {v.titulo}", f"Archivo: {v.ordenanza}", ""]
    for s in SERVICIOS:
        cifras = [c for c in v.cifras if c.servicio == s and (not solo_distintas or not c.ok)]
        if not cifras:
            continue
        lineas.append(f"{NOMBRES_SERVICIO[s].upper()}")
        filas = [["Cuadro", "Cifra", "Recalculado", "Publicado", "", "Tasa"]]
        calculos = {}
        for c in cifras:
            filas.append([c.cuadro, c.concepto[:70], f"{c.recalculado_redondeado:,.{c.decimales}f}",
                          f"{c.publicado:,.{c.decimales}f}", "✓" if c.ok else "✗",
                          "tasa" if c.es_tasa else ""])
            if c.calculo:
                calculos[len(filas) - 1] = c.calculo
        tabla = _tabla(filas, (2, 3))
        # la cuenta de las cifras que no salen de la fórmula del motor, bajo su fila
        out = tabla[:2]
        for i, linea in enumerate(tabla[2:], 1):
            out.append(linea)
            if i in calculos:
                out.append(f"    ↳ {calculos[i]}")
        lineas += out + [""]
    lineas.append(f"INCONSISTENCIAS DEL TEXTO PUBLICADO ({len(v.inconsistencias)})")
    for i, inc in enumerate(v.inconsistencias, 1):
        lineas.append(f"{i:3d}. [{NOMBRES_SERVICIO.get(inc.servicio, inc.servicio or 'general')} · "
                      f"{inc.cuadro}] {inc.mensaje}")
    lineas += [
        "",
        "RESUMEN",
        f"  Cifras comparadas: {r['cifras']} — ✓ {r['cifras_ok']} · ✗ {r['cifras_distintas']}",
        f"  Tasas publicadas:  {r['tasas']} — ✓ {r['tasas_ok']} · ✗ {r['tasas'] - r['tasas_ok']}",
        f"  Inconsistencias del texto: {r['inconsistencias']}",
        "  " + ("Todas las tasas publicadas se reproducen." if v.tasas_ok
                else "HAY TASAS PUBLICADAS QUE NO SE REPRODUCEN."),
    ]
    return "\n".join(lineas)

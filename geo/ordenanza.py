"""La ordenanza de arbitrios como datos: carga y validación de ``geo/ordenanzas/*.toml``.

Todo lo que depende de una municipalidad o de un ejercicio (costos, sectores, zonas, generación
por uso, índices, exoneraciones, ámbito de cada servicio y las cifras publicadas) vive en el
archivo TOML; aquí solo se lee, se valida y se entrega en estructuras inmutables.

Los reales del TOML se leen como :class:`decimal.Decimal` (``parse_float=Decimal``): ningún monto
pasa por ``float`` y se conserva la precisión con que se publicó cada cifra.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from geo.errores import ErrorOrdenanza
from geo.esquema import CONDICIONES, USOS

SERVICIOS: tuple[str, ...] = ("barrido", "recoleccion", "parques", "serenazgo")
NOMBRES_SERVICIO: dict[str, str] = {
    "barrido": "Barrido de calles",
    "recoleccion": "Recolección de residuos sólidos",
    "parques": "Parques y jardines",
    "serenazgo": "Serenazgo",
}
TIPOS_AMBITO = ("frontis_en_sector", "zona_recoleccion", "categoria", "todos")
RUTA_POR_DEFECTO = Path(__file__).parent / "ordenanzas" / "oxapampa-2020.toml"


@dataclass(frozen=True)
class Partida:
    """Una línea de la estructura de costos, tal como se publicó (montos en S/)."""

    tipo: str  # directos | indirectos | fijos
    grupo: str
    concepto: str
    anual: Decimal
    mensual: Decimal | None = None


@dataclass(frozen=True)
class Costo:
    """Resumen del costo anual de un servicio (S/)."""

    directos: Decimal
    indirectos: Decimal
    fijos: Decimal
    total: Decimal
    fuente: str = ""
    partidas: tuple[Partida, ...] = ()


@dataclass(frozen=True)
class Ambito:
    """Qué predios están afectos a un servicio.

    ``tipo``: ``"frontis_en_sector"`` (frontis sobre un sector de barrido), ``"zona_recoleccion"``
    (predios de las ``zonas`` listadas), ``"categoria"`` (todo predio con categoría de parques) o
    ``"todos"`` (todo el distrito).
    """

    tipo: str
    zonas: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectorBarrido:
    sector: str
    frecuencia_semanal: int
    barrenderos: int | None = None  # opcional: obreros asignados al sector


@dataclass(frozen=True)
class ZonaRecoleccion:
    zona: str
    generacion_t_dia: Decimal
    sectores: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoriaParques:
    categoria: str
    nombre: str
    indice_disfrute: Decimal


@dataclass(frozen=True)
class ZonaSerenazgo:
    zona: str
    nombre: str
    indice_peligrosidad: Decimal


@dataclass(frozen=True)
class Servicio:
    """Parámetros comunes de un servicio."""

    clave: str
    nombre: str
    criterio: str
    costo: Costo
    ambito: Ambito


@dataclass(frozen=True)
class Barrido(Servicio):
    sectores: tuple[SectorBarrido, ...] = ()
    barrenderos: int | None = None  # opcional: obreros de barrido de todo el servicio


@dataclass(frozen=True)
class Recoleccion(Servicio):
    zonas: tuple[ZonaRecoleccion, ...] = ()
    # kg/predio/día por zona y uso SNC
    generacion_kg_predio_dia: Mapping[str, Mapping[int, Decimal]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    numeracion_cuadros: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Parques(Servicio):
    umbral_cerca_m: Decimal = Decimal(0)
    categorias: tuple[CategoriaParques, ...] = ()


@dataclass(frozen=True)
class Serenazgo(Servicio):
    incidencias_por_uso: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    zonas: tuple[ZonaSerenazgo, ...] = ()


@dataclass(frozen=True)
class Exoneracion:
    """Inafectación (Art. 7) o exoneración (Art. 8) de una clase de condición."""

    condicion: str
    tipo: str  # inafectacion | exoneracion
    articulo: str
    porcentaje: Mapping[str, Decimal]  # por servicio, 0–100


@dataclass(frozen=True)
class Inafectacion:
    """Regla de no afectación por las características del predio (p. ej. terreno sin construir)."""

    nombre: str
    articulo: str
    usos: tuple[int, ...]
    area_construida_max_m2: Decimal
    servicios: tuple[str, ...]


@dataclass(frozen=True)
class Ordenanza:
    """Una ordenanza de arbitrios cargada y validada."""

    ruta: str
    meta: Mapping[str, Any]
    barrido: Barrido
    recoleccion: Recoleccion
    parques: Parques
    serenazgo: Serenazgo
    exoneraciones: Mapping[str, Exoneracion]
    inafectaciones: tuple[Inafectacion, ...]
    decimales_tasa_mensual: Mapping[str, int]
    decimales_tasa_anual: Mapping[str, int]
    publicado: Mapping[str, Any]
    meses: int = 12

    def servicio(self, clave: str) -> Servicio:
        return getattr(self, clave)

    def porcentaje_exonerado(self, condicion: str | None, servicio: str) -> Decimal:
        """Porcentaje (0–100) del arbitrio ``servicio`` que no paga un predio de ``condicion``."""
        if not condicion:
            return Decimal(0)
        exo = self.exoneraciones.get(condicion)
        if exo is None:
            return Decimal(0)
        return exo.porcentaje.get(servicio, Decimal(0))


# ---------------------------------------------------------------------------------------------
# carga y validación
# ---------------------------------------------------------------------------------------------


class _Lector:
    """Lee claves del TOML y junta todos los problemas para informarlos juntos."""

    def __init__(self):
        self.problemas: list[str] = []

    def falta(self, clave: str, detalle: str = "") -> None:
        extra = f" ({detalle})" if detalle else ""
        self.problemas.append(f"falta la clave {clave}{extra}")

    def invalida(self, clave: str, valor: Any, esperado: str) -> None:
        self.problemas.append(f"la clave {clave} vale {valor!r}; se esperaba {esperado}")

    def tabla(self, d: Mapping, clave: str, ruta: str) -> Mapping:
        v = d.get(clave) if isinstance(d, Mapping) else None
        if v is None:
            self.falta(f"{ruta}.{clave}" if ruta else f"[{clave}]")
            return {}
        if not isinstance(v, Mapping):
            self.invalida(f"{ruta}.{clave}", v, "una tabla")
            return {}
        return v

    def numero(self, d: Mapping, clave: str, ruta: str, minimo: Decimal | None = Decimal(0)):
        v = d.get(clave) if isinstance(d, Mapping) else None
        if v is None:
            self.falta(f"{ruta}.{clave}")
            return Decimal(0)
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
            self.invalida(f"{ruta}.{clave}", v, "un número")
            return Decimal(0)
        v = Decimal(v)
        if minimo is not None and v < minimo:
            self.invalida(f"{ruta}.{clave}", v, f"un número ≥ {minimo}")
        return v

    def texto(self, d: Mapping, clave: str, ruta: str, defecto: str | None = None) -> str:
        v = d.get(clave) if isinstance(d, Mapping) else None
        if v is None:
            if defecto is not None:
                return defecto
            self.falta(f"{ruta}.{clave}")
            return ""
        return str(v)

    def entero(self, v: Any, clave: str, defecto: int = 0) -> int:
        """``int(v)``; si ``v`` no es un entero, anota el problema con su clave y da ``defecto``."""
        try:
            if isinstance(v, bool):
                raise TypeError
            return int(v)
        except (TypeError, ValueError, ArithmeticError):
            self.invalida(clave, v, "un número entero")
            return defecto

    def lista(self, d: Mapping, clave: str, ruta: str) -> list:
        v = d.get(clave) if isinstance(d, Mapping) else None
        if v is None:
            self.falta(f"{ruta}.{clave}")
            return []
        if not isinstance(v, list):
            self.invalida(f"{ruta}.{clave}", v, "una lista")
            return []
        return v


def _congelar(v: Any) -> Any:
    if isinstance(v, Mapping):
        return MappingProxyType({k: _congelar(x) for k, x in v.items()})
    if isinstance(v, list):
        return tuple(_congelar(x) for x in v)
    return v


def _costo(lec: _Lector, serv: Mapping, clave: str) -> Costo:
    ruta = f"[{clave}].costo"
    c = lec.tabla(serv, "costo", f"[{clave}]")
    partes = {k: lec.numero(c, k, ruta) for k in ("directos", "indirectos", "fijos", "total")}
    partidas = []
    for i, p in enumerate(c.get("partidas", []) or []):
        rp = f"{ruta}.partidas[{i}]"
        tipo = lec.texto(p, "tipo", rp)
        if tipo and tipo not in ("directos", "indirectos", "fijos"):
            lec.invalida(f"{rp}.tipo", tipo, "directos, indirectos o fijos")
        mensual = p.get("mensual")
        partidas.append(Partida(tipo, lec.texto(p, "grupo", rp, ""), lec.texto(p, "concepto", rp),
                                lec.numero(p, "anual", rp),
                                Decimal(mensual) if mensual is not None else None))
    return Costo(fuente=str(c.get("fuente", "")), partidas=tuple(partidas), **partes)


def _ambito(lec: _Lector, serv: Mapping, clave: str) -> Ambito:
    a = lec.tabla(serv, "ambito", f"[{clave}]")
    tipo = lec.texto(a, "tipo", f"[{clave}].ambito")
    if tipo and tipo not in TIPOS_AMBITO:
        lec.invalida(f"[{clave}].ambito.tipo", tipo, " / ".join(TIPOS_AMBITO))
    zonas = tuple(str(z) for z in a.get("zonas", []) or [])
    if tipo == "zona_recoleccion" and not zonas:
        lec.falta(f"[{clave}].ambito.zonas", "el ámbito por zona de recolección necesita zonas")
    return Ambito(tipo, zonas)


def _base(lec: _Lector, d: Mapping, clave: str) -> dict:
    serv = lec.tabla(d, clave, "")
    return dict(
        clave=clave,
        nombre=lec.texto(serv, "nombre", f"[{clave}]", clave),
        criterio=lec.texto(serv, "criterio", f"[{clave}]", ""),
        costo=_costo(lec, serv, clave),
        ambito=_ambito(lec, serv, clave),
    ), serv


def _usos(lec: _Lector, d: Mapping, ruta: str) -> dict[int, Any]:
    res = {}
    for k, v in d.items():
        try:
            uso = int(k)
        except ValueError:
            uso = -1
        if uso not in USOS:
            lec.invalida(f"{ruta}.\"{k}\"", k, f"un código de uso SNC ({min(USOS)} a {max(USOS)})")
            continue
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)) or v < 0:
            lec.invalida(f"{ruta}.\"{k}\"", v, "un número ≥ 0")
            continue
        res[uso] = v
    return res


def _entero_opcional(lec: _Lector, d: Mapping, clave: str, ruta: str) -> int | None:
    """Una clave entera ≥ 0 que puede faltar (``None``)."""
    if not isinstance(d, Mapping) or d.get(clave) is None:
        return None
    v = lec.numero(d, clave, ruta)
    if v != int(v):
        lec.invalida(f"{ruta}.{clave}", v, "un entero ≥ 0")
    return int(v)


def validar_datos(datos: Mapping, nombre: str = "ordenanza") -> Ordenanza:
    """Valida un diccionario ya leído de un TOML y devuelve la :class:`Ordenanza`.

    Raises
    ------
    ErrorOrdenanza
        Con todos los problemas encontrados, cada uno con la clave que falta o es inválida.
    """
    lec = _Lector()
    meta = lec.tabla(datos, "meta", "")
    meses = lec.entero(meta.get("meses", 12), "[meta].meses", 12)

    kb, sb = _base(lec, datos, "barrido")
    sectores = []
    for i, s in enumerate(lec.lista(sb, "sectores", "[barrido]")):
        r = f"[barrido].sectores[{i}]"
        f = lec.numero(s, "frecuencia_semanal", r, Decimal(1))
        if f > 7:
            lec.invalida(f"{r}.frecuencia_semanal", f, "un entero de 1 a 7")
        sectores.append(SectorBarrido(lec.texto(s, "sector", r), int(f),
                                      _entero_opcional(lec, s, "barrenderos", r)))
    barrido = Barrido(sectores=tuple(sectores),
                      barrenderos=_entero_opcional(lec, sb, "barrenderos", "[barrido]"), **kb)

    kr, sr = _base(lec, datos, "recoleccion")
    zonas = []
    for i, z in enumerate(lec.lista(sr, "zonas", "[recoleccion]")):
        r = f"[recoleccion].zonas[{i}]"
        zonas.append(ZonaRecoleccion(lec.texto(z, "zona", r), lec.numero(z, "generacion_t_dia", r),
                                     tuple(str(x) for x in z.get("sectores", []) or [])))
    gen = lec.tabla(sr, "generacion_kg_predio_dia", "[recoleccion]")
    generacion = {}
    for z in zonas:
        if z.zona not in gen:
            lec.falta(f"[recoleccion].generacion_kg_predio_dia.{z.zona}")
            continue
        generacion[z.zona] = MappingProxyType(
            {u: Decimal(v) for u, v in _usos(lec, gen[z.zona],
                                             f"[recoleccion].generacion_kg_predio_dia.{z.zona}").items()})
    rn = "[recoleccion].numeracion_cuadros"
    numeracion = {lec.entero(k, f'{rn}."{k}"'): lec.entero(v, f'{rn}."{k}"')
                  for k, v in (sr.get("numeracion_cuadros", {}) or {}).items()}
    recoleccion = Recoleccion(zonas=tuple(zonas), generacion_kg_predio_dia=MappingProxyType(generacion),
                              numeracion_cuadros=MappingProxyType(numeracion), **kr)

    kp, sp = _base(lec, datos, "parques")
    cats = []
    for i, c in enumerate(lec.lista(sp, "categorias", "[parques]")):
        r = f"[parques].categorias[{i}]"
        cats.append(CategoriaParques(lec.texto(c, "categoria", r), lec.texto(c, "nombre", r, ""),
                                     lec.numero(c, "indice_disfrute", r)))
    parques = Parques(umbral_cerca_m=lec.numero(sp, "umbral_cerca_m", "[parques]"),
                      categorias=tuple(cats), **kp)

    ks, ss = _base(lec, datos, "serenazgo")
    inc = _usos(lec, lec.tabla(ss, "incidencias_por_uso", "[serenazgo]"), "[serenazgo].incidencias_por_uso")
    zs = []
    for i, z in enumerate(lec.lista(ss, "zonas", "[serenazgo]")):
        r = f"[serenazgo].zonas[{i}]"
        zs.append(ZonaSerenazgo(lec.texto(z, "zona", r), lec.texto(z, "nombre", r, ""),
                                lec.numero(z, "indice_peligrosidad", r)))
    serenazgo = Serenazgo(incidencias_por_uso=MappingProxyType({u: int(v) for u, v in inc.items()}),
                          zonas=tuple(zs), **ks)

    for serv in (barrido, recoleccion, parques, serenazgo):
        c = serv.costo
        if c.directos + c.indirectos + c.fijos != c.total and not lec.problemas:
            lec.problemas.append(
                f"[{serv.clave}].costo: directos + indirectos + fijos = "
                f"{c.directos + c.indirectos + c.fijos} no es el total {c.total}")

    exos = {}
    for cond, e in (datos.get("exoneraciones", {}) or {}).items():
        r = f"[exoneraciones.{cond}]"
        if cond not in CONDICIONES:
            lec.invalida(r, cond, "una condición de geo/esquema.py: " + ", ".join(CONDICIONES))
            continue
        tipo = lec.texto(e, "tipo", r)
        if tipo and tipo not in ("inafectacion", "exoneracion"):
            lec.invalida(f"{r}.tipo", tipo, "inafectacion o exoneracion")
        pct = lec.tabla(e, "porcentaje", r)
        porc = {}
        for s in SERVICIOS:
            v = lec.numero(pct, s, f"{r}.porcentaje")
            if v > 100:
                lec.invalida(f"{r}.porcentaje.{s}", v, "un porcentaje de 0 a 100")
            porc[s] = v
        exos[cond] = Exoneracion(cond, tipo, lec.texto(e, "articulo", r, ""), MappingProxyType(porc))

    inafs = []
    for nom, e in (datos.get("inafectaciones", {}) or {}).items():
        r = f"[inafectaciones.{nom}]"
        servs = tuple(str(s) for s in lec.lista(e, "servicios", r))
        for s in servs:
            if s not in SERVICIOS:
                lec.invalida(f"{r}.servicios", s, " / ".join(SERVICIOS))
        inafs.append(Inafectacion(nom, lec.texto(e, "articulo", r, ""),
                                  tuple(lec.entero(u, f"{r}.usos") for u in lec.lista(e, "usos", r)),
                                  lec.numero(e, "area_construida_max_m2", r), servs))

    pres = datos.get("presentacion", {}) or {}
    dm = {s: lec.entero((pres.get("decimales_tasa_mensual") or {}).get(s, 4),
                        f"[presentacion].decimales_tasa_mensual.{s}", 4) for s in SERVICIOS}
    da = {s: lec.entero((pres.get("decimales_tasa_anual") or {}).get(s, 2),
                        f"[presentacion].decimales_tasa_anual.{s}", 2) for s in SERVICIOS}

    if lec.problemas:
        raise ErrorOrdenanza(f"{nombre}: " + "; ".join(lec.problemas))
    return Ordenanza(
        ruta=nombre, meta=_congelar(meta), barrido=barrido, recoleccion=recoleccion,
        parques=parques, serenazgo=serenazgo, exoneraciones=MappingProxyType(exos),
        inafectaciones=tuple(inafs), decimales_tasa_mensual=MappingProxyType(dm),
        decimales_tasa_anual=MappingProxyType(da),
        publicado=_congelar(datos.get("publicado", {}) or {}), meses=meses,
    )


def cargar_ordenanza(ruta: str | Path | None = None) -> Ordenanza:
    """Carga y valida una ordenanza de arbitrios.

    Parameters
    ----------
    ruta : archivo TOML; por defecto la ordenanza que viene con el paquete
        (``geo/ordenanzas/oxapampa-2020.toml``).

    Raises
    ------
    ErrorOrdenanza
        Si el archivo no existe, no es TOML válido o le falta / tiene mal una clave. El mensaje
        empieza por ``ordenanzas/<archivo>.toml:`` y nombra cada clave.
    """
    ruta = Path(ruta) if ruta is not None else RUTA_POR_DEFECTO
    nombre = f"{ruta.parent.name}/{ruta.name}"
    try:
        with open(ruta, "rb") as f:
            datos = tomllib.load(f, parse_float=Decimal)
    except FileNotFoundError:
        raise ErrorOrdenanza(f"{nombre}: no existe el archivo de ordenanza ({ruta})") from None
    except tomllib.TOMLDecodeError as e:
        raise ErrorOrdenanza(f"{nombre}: no es un TOML válido: {e}") from None
    return validar_datos(datos, nombre)

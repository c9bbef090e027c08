"""El almacén del catastro: una interfaz, dos motores (GeoPackage y PostGIS).

Estabilidad de la API
---------------------
Esta interfaz la implementan ``geo/almacen/gpkg.py`` y ``geo/almacen/postgis.py``. Si cambia,
se anota aquí (fecha, qué, cómo seguir siendo compatible). Cambios hasta ahora: ninguno.

Qué hace cada parte
-------------------
* :class:`Almacen` (abstracta) trae la lógica común y pura: leer y validar un conjunto de
  CAMBIOS, armar el plan de escrituras (:class:`Paso`), validar el catastro resultante con las
  reglas de ``catastro validar`` (solo los predios afectados y sus vecinos), armar los registros
  del historial, reconstruir el catastro a una fecha y resolver los frontis confirmados.
* Cada motor implementa solo las primitivas de E/S (métodos ``_…`` abstractos): leer capas,
  leer predios por código o por rectángulo, escribir un plan **en una sola transacción**
  (comprobando versiones dentro de ella) y leer/escribir el historial y los frontis.

Historial
---------
Tabla ``historial``: una fila por predio tocado (ver :data:`COLUMNAS_HISTORIAL`). ``accion`` es
el efecto sobre la fila (``alta``/``modificacion``/``baja``), ``operacion`` lo que pidió el
usuario (``alta``, ``modificacion``, ``baja``, ``subdivision``, ``acumulacion``). ``antes`` y
``despues`` son los atributos en JSON (exactos: los reales se escriben con ``repr``), y
``geom_antes``/``geom_despues`` la geometría en WKB ISO. ``instante`` es UTC, texto
``AAAA-MM-DDTHH:MM:SS.ffffffZ`` (se ordena como texto y nunca retrocede).

Reconstrucción a una fecha: se parte del estado actual y se deshacen, del más reciente al más
antiguo, los registros con ``instante`` posterior al corte. ``--fecha AAAA-MM-DD`` quiere decir
**al final de ese día en hora del Perú (UTC−5)**, es decir, antes de las 05:00 UTC del día
siguiente. Solo los predios llevan historial; las demás capas se leen como están.

Versiones (bloqueo optimista)
-----------------------------
Cada predio lleva ``version`` (entero, 1 al darse de alta; +1 en cada modificación). Un cambio
dice en qué versión se basó (columna ``version`` de CAMBIOS) o se toma la leída al empezar; si
al escribir el predio ya va en otra versión, nada se escribe y se lanza
:class:`geo.errores.ErrorConflicto` diciendo quién y con qué expediente lo cambió.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.claves import esta_en, posiciones
from geo.config import CONFIG, Config
from geo.errores import ErrorConflicto, ErrorDatos, ErrorLectura, Problema
from geo.esquema import CAPAS

log = logging.getLogger(__name__)

PERU = timezone(timedelta(hours=-5), "PET")
OPERACIONES = ("alta", "modificacion", "baja", "subdivision", "acumulacion")
ACCIONES = ("alta", "modificacion", "baja")
COLUMNAS_CONTROL = ("operacion", "origen", "version", "borrar")
"""Columnas de CAMBIOS que dicen qué hacer; no se guardan como atributos."""
NO_HEREDADAS = frozenset({"area_terreno_m2", "area_construida_m2", "habitantes",
                          "participacion", "frontis_declarado_m"})
"""Medidas que una subdivisión o acumulación NO copia del predio de origen (hay que darlas)."""

COLUMNAS_HISTORIAL = (
    "id",               # entero creciente (orden de aplicación)
    "transaccion",      # uuid de la actualización (una por 'catastro actualizar')
    "instante",         # UTC, 'AAAA-MM-DDTHH:MM:SS.ffffffZ'
    "usuario", "expediente", "motivo",
    "operacion",        # alta | modificacion | baja | subdivision | acumulacion
    "accion",           # alta | modificacion | baja (efecto sobre la fila)
    "codigo",
    "origen",           # códigos de origen separados por ';' (subdivisión, acumulación)
    "version_antes", "version_despues",
    "fid",              # clave interna de la fila (orden de los predios al reconstruir)
    "antes", "despues",          # atributos en JSON (texto) o nulo
    "geom_antes", "geom_despues",  # WKB ISO (bytes) o nulo
)
COLUMNAS_FRONTIS = (
    "id", "codigo", "frontis_m", "frontis_derivado_m", "usuario", "instante", "observacion",
    "expediente", "version_predio",
)


# ---------------------------------------------------------------------------------------------
# Tiempo


def instante_texto(momento: datetime | None = None) -> str:
    """``datetime`` (con zona; sin zona = UTC) → texto UTC ordenable con microsegundos."""
    momento = momento or datetime.now(UTC)
    if momento.tzinfo is None:
        momento = momento.replace(tzinfo=UTC)
    return momento.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def corte(fecha: str | date | datetime | None) -> str | None:
    """Instante de corte (texto UTC) para reconstruir: se incluye lo anterior al corte.

    ``"AAAA-MM-DD"`` o ``date`` → fin de ese día en hora del Perú (UTC−5). ``datetime`` → ese
    instante exacto (se incluye lo registrado hasta él, inclusive). ``None`` → sin corte.
    """
    if fecha is None:
        return None
    if isinstance(fecha, str):
        try:
            fecha = date.fromisoformat(fecha.strip())
        except ValueError as e:
            raise ErrorDatos(f"Fecha '{fecha}' mal escrita: use AAAA-MM-DD (p. ej. 2025-03-31).",
                             "FECHA_INVALIDA") from e
    if isinstance(fecha, datetime):
        # incluye el instante mismo: el corte es el microsegundo siguiente
        return instante_texto(fecha + timedelta(microseconds=1))
    fin = datetime.combine(fecha + timedelta(days=1), time(0, 0), tzinfo=PERU)
    return instante_texto(fin)


def hora_peru(instante: str) -> str:
    """Texto UTC del historial → ``"AAAA-MM-DD HH:MM"`` en hora del Perú."""
    t = datetime.strptime(instante, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return t.astimezone(PERU).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------------------------
# Valores y atributos


def _valor_json(v):
    """Valor de pandas/numpy → valor JSON exacto (None para vacío)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return v if isinstance(v, (int, str)) else str(v)


def atributos_json(atributos: dict | None) -> str | None:
    """Atributos → JSON estable y exacto (claves ordenadas; reales con ``repr``)."""
    if atributos is None:
        return None
    return json.dumps({k: _valor_json(v) for k, v in atributos.items()}, ensure_ascii=False,
                      sort_keys=True, allow_nan=False)


def atributos_de_json(texto: str | None) -> dict | None:
    return None if texto is None else json.loads(texto)


def tipos_predios(columnas: dict[str, str] | None = None) -> dict[str, str]:
    """Tipo (texto/entero/real) de cada columna de predios: el esquema, más ``version``, más
    las columnas propias del almacén (``columnas``: nombre → tipo)."""
    tipos = {c.nombre: c.tipo for c in CAPAS["predios"].columnas}
    for n, t in (columnas or {}).items():
        tipos.setdefault(n, t)
    tipos["version"] = "entero"
    return tipos


def normalizar_predios(gdf: gpd.GeoDataFrame, tipos: dict[str, str]) -> gpd.GeoDataFrame:
    """Predios con tipos canónicos: entero → ``Int64``, real → ``float64``, texto → object
    (vacío = None). Así el estado actual y el reconstruido se comparan exactamente."""
    gdf = gdf.copy()
    for col in gdf.columns:
        if col == gdf.geometry.name or col not in tipos:
            continue
        t = tipos[col]
        s = gdf[col]
        if t in ("entero", "real"):
            destino = "Int64" if t == "entero" else "float64"
            if s.dtype == destino:
                continue
            if s.dtype == object:
                s = pd.to_numeric(s.where(s.notna(), np.nan), errors="coerce")
            gdf[col] = s.astype(destino)
        elif s.dtype != object or s.isna().any():
            obj = s.astype(object)
            gdf[col] = obj.where(obj.notna(), None)
    return gdf


def fila_atributos(fila: pd.Series | dict, columnas: list[str]) -> dict:
    """Atributos de una fila (sin geometría ni ``version``), como valores JSON exactos."""
    return {c: _valor_json(fila.get(c)) for c in columnas if c != "version"}


def wkb(geom) -> bytes | None:
    """Geometría → WKB ISO (2D). None si no hay."""
    if geom is None or shapely.is_missing(geom):
        return None
    return shapely.to_wkb(geom, flavor="iso", output_dimension=2)


def de_wkb(dato) -> object:
    return None if dato is None else shapely.from_wkb(bytes(dato))


# ---------------------------------------------------------------------------------------------
# Plan de cambios


@dataclass(frozen=True)
class Paso:
    """Una escritura sobre un predio. La arma la lógica común; el motor la ejecuta.

    ``version_antes``: versión que el predio DEBE tener al escribir (None en un alta: el
    código no debe existir). ``despues``/``geom_despues`` son la fila completa resultante
    (None en una baja). ``antes``/``geom_antes`` la fila tal como se leyó (None en un alta).
    """

    accion: str
    operacion: str
    codigo: str
    version_antes: int | None
    version_despues: int | None
    antes: dict | None
    despues: dict | None
    geom_antes: object | None
    geom_despues: object | None
    origen: tuple[str, ...] = ()


@dataclass
class Plan:
    """Todo lo que escribe una actualización, más sus metadatos."""

    pasos: list[Paso]
    usuario: str
    expediente: str
    motivo: str | None
    instante: str
    transaccion: str = field(default_factory=lambda: uuid.uuid4().hex)

    def registros(self, fids: dict[str, int] | None = None) -> list[dict]:
        """Filas del historial (sin ``id``), una por paso. ``fids``: código → clave interna
        de la fila (el motor la conoce al escribir; en una baja, la de la fila borrada)."""
        fids = fids or {}
        return [{
            "transaccion": self.transaccion,
            "instante": self.instante,
            "usuario": self.usuario,
            "expediente": self.expediente,
            "motivo": self.motivo,
            "operacion": p.operacion,
            "accion": p.accion,
            "codigo": p.codigo,
            "origen": ";".join(p.origen) or None,
            "version_antes": p.version_antes,
            "version_despues": p.version_despues,
            "fid": fids.get(p.codigo),
            "antes": atributos_json(p.antes),
            "despues": atributos_json(p.despues),
            "geom_antes": wkb(p.geom_antes),
            "geom_despues": wkb(p.geom_despues),
        } for p in self.pasos]


@dataclass
class Resumen:
    """Lo que hizo :meth:`Almacen.aplicar`."""

    transaccion: str
    instante: str
    altas: list[str] = field(default_factory=list)
    modificaciones: list[str] = field(default_factory=list)
    bajas: list[str] = field(default_factory=list)
    avisos: list[Problema] = field(default_factory=list)
    segundos: float = 0.0

    @property
    def afectados(self) -> list[str]:
        return self.altas + self.modificaciones + self.bajas

    def texto(self) -> str:
        def lista(c):
            return ", ".join(c[:10]) + (f" y {len(c) - 10} más" if len(c) > 10 else "")
        partes = [f"{len(self.altas)} altas", f"{len(self.modificaciones)} modificaciones",
                  f"{len(self.bajas)} bajas"]
        lineas = [f"Actualización {self.transaccion[:8]} registrada ({hora_peru(self.instante)}, "
                  f"hora del Perú): {', '.join(partes)}."]
        for nombre, c in (("Altas", self.altas), ("Modificaciones", self.modificaciones),
                          ("Bajas", self.bajas)):
            if c:
                lineas.append(f"  {nombre}: {lista(c)}")
        return "\n".join(lineas)


class ErrorCambios(ErrorDatos):
    """Los CAMBIOS no se pueden aplicar: ``problemas`` dice cuáles y cómo corregirlos.
    No se escribió nada."""

    codigo = "CAMBIOS_INVALIDOS"

    def __init__(self, problemas: list[Problema]):
        errores = [p for p in problemas if p.severidad == "error"]
        super().__init__(
            f"No se aplicó ningún cambio: {len(errores)} errores. Corríjalos en el archivo de "
            "cambios y vuelva a ejecutar la orden:\n" + "\n".join(
                "  " + p.como_texto() for p in errores[:50])
            + (f"\n  … y {len(errores) - 50} más." if len(errores) > 50 else ""))
        self.problemas = problemas


# ---------------------------------------------------------------------------------------------
# Lectura e interpretación de CAMBIOS


def leer_cambios(ruta: str | Path, crs: str | None = None,
                 capa_origen: str | None = None) -> gpd.GeoDataFrame:
    """Lee un archivo de CAMBIOS (GeoPackage, GeoJSON, CSV con WKT, Shapefile).

    Formato
    -------
    Una capa, una fila por predio resultante (o por predio dado de baja):

    ``operacion``
        ``alta`` (predio nuevo), ``modificacion`` (cambia atributos y/o geometría),
        ``baja`` (se elimina), ``subdivision`` (independización: una fila por cada predio
        resultante, todas con el mismo ``origen``; el de origen se da de baja salvo que uno de
        los resultantes conserve su código) o ``acumulacion`` (una fila: el predio resultante;
        ``origen`` lista los acumulados separados por ``;``; se dan de baja salvo el que
        conserve su código; sin geometría, se toma la unión de los de origen).
    ``codigo``
        Código catastral del predio afectado o resultante.
    ``origen``
        Solo subdivisión (el código subdividido) y acumulación (``A;B;C``).
    ``version`` (opcional)
        Versión del predio sobre la que se preparó el cambio (la que muestra ``catastro
        historial`` o la columna ``version`` de la capa); en subdivisión/acumulación, la de los
        de origen (``3`` o ``3;5`` en el orden de ``origen``). Si el predio cambió desde
        entonces, nada se aplica (conflicto).
    ``borrar`` (opcional)
        Columnas a vaciar en una modificación (``habitantes;condicion``).
    atributos del esquema de predios (``uso``, ``area_terreno_m2``, …)
        En una modificación, una celda vacía deja el valor como está. En subdivisión y
        acumulación, una celda vacía hereda el valor del (primer) predio de origen, salo las
        medidas (áreas, habitantes, participación, frontis declarado), que hay que dar.
    geometría
        Obligatoria en altas y subdivisiones; opcional en modificaciones (vacía = la misma).

    Se reproyecta al CRS del almacén después (ver :meth:`Almacen.aplicar`).
    """
    from geo.importar import leer_origen

    gdf, _ = leer_origen(ruta, capa_origen, crs)
    gdf = gdf.rename(columns={c: c.lower() for c in gdf.columns if c != gdf.geometry.name
                              and c.lower() not in gdf.columns})
    return gdf


def _texto(v) -> str | None:
    v = _valor_json(v)
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    v = str(v).strip()
    return v or None


def _lista(v) -> list[str]:
    t = _texto(v)
    return [p.strip() for p in t.split(";") if p.strip()] if t else []


def _prob(codigo: str, elemento: str, mensaje: str, severidad: str = "error",
          capa: str = "cambios") -> Problema:
    return Problema(codigo, severidad, capa, elemento, mensaje)


# ---------------------------------------------------------------------------------------------
# El almacén


class Almacen(ABC):
    """Almacén de capas con historial de predios. Ábralo con :func:`abrir`.

    Los motores implementan los métodos abstractos ``_…``; lo demás es común.
    """

    config: Config = CONFIG

    # ------------------------------------------------------------------ primitivas del motor

    @property
    @abstractmethod
    def nombre(self) -> str:
        """Nombre legible (ruta del archivo o base de datos sin contraseña), para mensajes."""

    @property
    @abstractmethod
    def crs(self):
        """CRS de la capa de predios (pyproj.CRS o texto ``EPSG:…``)."""

    @abstractmethod
    def _capas_actuales(self, nombres: list[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
        """Capas tal como están (sin convertir tipos). ``predios`` con índice = clave interna
        (fid, creciente) y columna ``version`` (1 si el almacén aún no la tiene)."""

    @abstractmethod
    def _columnas_predios(self) -> dict[str, str]:
        """Columnas de atributos de la tabla de predios (sin clave ni geometría, sin
        ``version``) → tipo ``texto``/``entero``/``real``, en el orden de la tabla."""

    @abstractmethod
    def _predios_por_codigo(self, codigos: list[str]) -> gpd.GeoDataFrame:
        """Predios con esos códigos (los que existan), con ``version``; índice = clave."""

    @abstractmethod
    def _predios_en_caja(self, caja: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
        """Predios cuyo rectángulo envolvente toca ``caja`` (xmin, ymin, xmax, ymax)."""

    @abstractmethod
    def _escribir_plan(self, plan: Plan) -> None:
        """Ejecuta el plan en UNA transacción: todo o nada.

        Dentro de la transacción (con el bloqueo de escritura tomado) comprueba para cada paso
        que la versión actual del predio sea ``paso.version_antes`` (en un alta, que el código
        no exista); si no, deshace todo y lanza ``self._error_conflicto(codigo, esperada,
        actual)``. Escribe altas (``version`` = ``version_despues``), modificaciones y bajas,
        e inserta ``plan.registros(fids)`` en ``historial``. Crea lo que falte (columna
        ``version``, tablas ``historial`` y ``frontis_confirmado``) en la misma transacción.
        """

    @abstractmethod
    def _registros_historial(self, codigos: list[str] | None = None,
                             desde: str | None = None) -> pd.DataFrame:
        """Filas de ``historial`` (columnas :data:`COLUMNAS_HISTORIAL`, ``geom_*`` en bytes),
        de esos códigos (o todos) y con ``instante >= desde`` (o todas), ordenadas por ``id``.
        Vacío (con esas columnas) si aún no hay historial."""

    @abstractmethod
    def _registros_frontis(self, hasta: str | None = None) -> pd.DataFrame:
        """Filas de ``frontis_confirmado`` (columnas :data:`COLUMNAS_FRONTIS`) con
        ``instante < hasta`` (o todas), ordenadas por ``id``."""

    @abstractmethod
    def _escribir_frontis(self, registros: list[dict]) -> None:
        """Inserta confirmaciones (dicts sin ``id``) en una transacción: todas o ninguna."""

    def _ultimo_instante(self) -> str | None:
        """El ``instante`` más reciente del historial (o None). Los motores pueden darlo sin
        leer todo el historial; esta versión general sí lo lee."""
        regs = self._registros_historial()
        return None if len(regs) == 0 else str(regs["instante"].max())

    def _distrito(self) -> gpd.GeoDataFrame | None:
        """Capa ``distrito`` (para PREDIO_FUERA_DISTRITO). Los motores pueden leerla más
        rápido; esta versión usa :meth:`_capas_actuales`."""
        return self._capas_actuales(["distrito"]).get("distrito")

    def cerrar(self) -> None:
        """Libera conexiones (si el motor las tiene)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cerrar()

    # ------------------------------------------------------------------ lectura

    def tipos(self) -> dict[str, str]:
        return tipos_predios(self._columnas_predios())

    def capas(self, fecha: str | date | datetime | None = None,
              nombres: list[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
        """Las capas del catastro, hoy o como estaban en ``fecha`` (ver :func:`corte`).

        ``predios`` sale con tipos canónicos (:func:`normalizar_predios`), columna
        ``version``, en el orden de alta (clave interna) y con índice 0…n−1.
        """
        capas = self._capas_actuales(nombres)
        if "predios" not in capas:
            return capas
        tipos = self.tipos()
        predios = capas["predios"]
        hasta = corte(fecha)
        if hasta is not None:
            registros = self._registros_historial(desde=hasta)
            predios = reconstruir(predios, registros, hasta, tipos)
        predios = normalizar_predios(predios, tipos)
        capas["predios"] = predios.sort_index(kind="stable").reset_index(drop=True)
        return capas

    def historial(self, codigo: str, ancestros: bool = True) -> pd.DataFrame:
        """Vida de un predio: sus registros y, con ``ancestros``, los de los predios de los
        que proviene (subdivisión, acumulación), recursivamente. Orden cronológico.

        Columna extra ``linaje``: 0 para el predio pedido, 1 para sus orígenes directos, …
        """
        vistos: dict[str, int] = {}
        frontera = {codigo: 0}
        partes = []
        while frontera:
            regs = self._registros_historial(list(frontera))
            nueva: dict[str, int] = {}
            for cod, nivel in frontera.items():
                vistos[cod] = nivel
                propios = regs[regs["codigo"] == cod].copy()
                propios["linaje"] = nivel
                partes.append(propios)
                if not ancestros:
                    continue
                for o in propios.loc[propios["accion"] == "alta", "origen"].dropna():
                    for a in _lista(o):
                        if a not in vistos and a not in frontera:
                            nueva[a] = nivel + 1
                # un predio que conservó su código en una acumulación/subdivisión
                for o in propios.loc[propios["accion"] == "modificacion", "origen"].dropna():
                    for a in _lista(o):
                        if a != cod and a not in vistos and a not in frontera:
                            nueva[a] = nivel + 1
            frontera = nueva
        if not partes:
            return pd.DataFrame(columns=[*COLUMNAS_HISTORIAL, "linaje"])
        out = pd.concat(partes, ignore_index=True)
        return out.sort_values("id", kind="stable").reset_index(drop=True)

    def existe_predio(self, codigo: str) -> bool:
        return len(self._predios_por_codigo([codigo])) > 0

    # ------------------------------------------------------------------ actualización

    def aplicar(self, cambios: gpd.GeoDataFrame | str | Path, expediente: str, usuario: str,
                motivo: str | None = None, *, instante: datetime | None = None,
                validar: bool = True) -> Resumen:
        """Aplica un conjunto de CAMBIOS (ver :func:`leer_cambios`): todo o nada.

        Valida antes de escribir (formato de CAMBIOS, códigos, versiones y las reglas de
        ``catastro validar`` sobre los predios afectados y sus vecinos). Con errores lanza
        :class:`ErrorCambios` sin escribir nada; si otro cambió un predio entretanto,
        :class:`geo.errores.ErrorConflicto`. ``instante`` (pruebas, migraciones): el momento
        a registrar; por defecto, ahora. Nunca es anterior al último registrado.
        """
        import time as _t

        t0 = _t.perf_counter()
        if not str(expediente or "").strip() or not str(usuario or "").strip():
            raise ErrorDatos("Toda actualización necesita --expediente y --usuario (quién y por "
                             "qué expediente): así queda trazable.", "SIN_EXPEDIENTE")
        if not isinstance(cambios, gpd.GeoDataFrame):
            cambios = leer_cambios(cambios)
        plan, avisos = self.planificar(cambios, str(expediente).strip(), str(usuario).strip(),
                                       motivo, instante=instante, validar=validar)
        self._escribir_plan(plan)
        r = Resumen(plan.transaccion, plan.instante, avisos=avisos)
        for p in plan.pasos:
            {"alta": r.altas, "modificacion": r.modificaciones, "baja": r.bajas}[p.accion] \
                .append(p.codigo)
        r.segundos = _t.perf_counter() - t0
        log.info("actualización %s: %d pasos en %.3f s", plan.transaccion, len(plan.pasos),
                 r.segundos)
        return r

    def planificar(self, cambios: gpd.GeoDataFrame, expediente: str, usuario: str,
                   motivo: str | None = None, *, instante: datetime | None = None,
                   validar: bool = True) -> tuple[Plan, list[Problema]]:
        """CAMBIOS → :class:`Plan` validado (sin escribir). Lanza :class:`ErrorCambios`."""
        columnas = list(self._columnas_predios())
        tipos = self.tipos()
        cambios, problemas = self._preparar_cambios(cambios, columnas, tipos)
        if any(p.severidad == "error" for p in problemas):
            raise ErrorCambios(problemas)
        nombrados = set(cambios["codigo"].dropna())
        for o in cambios["origen"]:
            nombrados.update(_lista(o))
        actuales = normalizar_predios(self._predios_por_codigo(sorted(nombrados)), tipos)
        actuales = actuales.drop_duplicates("codigo", keep="first").set_index("codigo",
                                                                              drop=False)
        pasos, probs = armar_pasos(cambios, actuales, columnas)
        problemas += probs
        if validar:  # también con errores de formato: se informan todos juntos
            problemas += self.validar_pasos(pasos, tipos)
        if any(p.severidad == "error" for p in problemas):
            raise ErrorCambios(problemas)
        self._comprobar_versiones(pasos, actuales)
        momento = instante_texto(instante)
        ultimo = self._ultimo_instante() if instante is None else None
        if ultimo is not None and ultimo >= momento:
            momento = ultimo  # el reloj nunca retrocede en el historial
        plan = Plan(pasos, usuario, expediente, motivo, momento)
        return plan, [p for p in problemas if p.severidad != "error"]

    def _preparar_cambios(self, cambios: gpd.GeoDataFrame, columnas: list[str],
                          tipos: dict[str, str]) -> tuple[gpd.GeoDataFrame, list[Problema]]:
        from geo.validacion import convertir_columnas

        problemas: list[Problema] = []
        cambios = cambios.rename(columns={c: c.lower() for c in cambios.columns
                                          if c != cambios.geometry.name})
        if cambios.geometry.name != "geometry":
            cambios = cambios.rename_geometry("geometry")
        for c in ("operacion", "codigo"):
            if c not in cambios.columns:
                problemas.append(_prob("COLUMNA_FALTANTE", "", f"Falta la columna '{c}' en el "
                                       "archivo de cambios (ver el formato en 'catastro "
                                       "actualizar --help')."))
        if problemas:
            return cambios, problemas
        for c in ("origen", "version", "borrar"):
            if c not in cambios.columns:
                cambios[c] = None
        if len(cambios) == 0:
            problemas.append(_prob("CAMBIOS_VACIOS", "", "El archivo de cambios no tiene filas."))
        if cambios.crs is not None and self.crs is not None and len(cambios):
            cambios = cambios.to_crs(self.crs)
        desconocidas = [c for c in cambios.columns
                        if c not in columnas and c not in COLUMNAS_CONTROL and c != "geometry"
                        and c not in CAPAS["predios"].nombres]
        if desconocidas:
            problemas.append(_prob(
                "COLUMNA_IGNORADA", "", f"Columnas que el almacén no tiene y se ignoran: "
                f"{', '.join(desconocidas)}.", "aviso"))
            cambios = cambios.drop(columns=desconocidas)
        cambios = cambios.reset_index(drop=True)
        cambios["operacion"] = [(_texto(v) or "").lower() for v in cambios["operacion"]]
        cambios["codigo"] = [_texto(v) for v in cambios["codigo"]]
        # Tipos: los mismos convertidores que 'validar'; los obligatorios se exigen al final
        # (en una modificación una celda vacía significa "sin cambio").
        esquema = CAPAS["predios"]
        convertido, probs = convertir_columnas(cambios, esquema)
        problemas += [_fila(p, cambios) for p in probs if p.codigo == "VALOR_TIPO"]
        for c in columnas:
            if c in convertido.columns and c not in esquema.nombres and tipos.get(c) != "texto":
                convertido[c] = pd.to_numeric(convertido[c], errors="coerce")
        return convertido, problemas

    def _comprobar_versiones(self, pasos: list[Paso], actuales: pd.DataFrame) -> None:
        for p in pasos:
            if p.accion == "alta" or p.codigo not in actuales.index:
                continue
            actual = int(actuales.loc[p.codigo, "version"])
            if p.version_antes != actual:
                raise self._error_conflicto(p.codigo, p.version_antes, actual)

    def _error_conflicto(self, codigo: str, esperada: int | None,
                         actual: int | None) -> ErrorConflicto:
        """El error a lanzar cuando ``codigo`` no está en la versión esperada (o, en un
        alta, ya existe). Dice quién y con qué expediente lo cambió por última vez."""
        try:
            regs = self._registros_historial([codigo])
        except Exception:  # noqa: BLE001 - el mensaje es un extra; el conflicto es lo que importa
            regs = pd.DataFrame()
        quien = ""
        if len(regs):
            u = regs.iloc[-1]
            quien = (f" Lo cambió {u['usuario']} (expediente {u['expediente']}) el "
                     f"{hora_peru(u['instante'])}, hora del Perú.")
        if esperada is None:
            texto = f"El predio {codigo} ya existe (se dio de alta mientras tanto).{quien}"
        elif actual is None:
            texto = (f"El predio {codigo} ya no existe (se dio de baja después de la versión "
                     f"{esperada} en que se basó este cambio).{quien}")
        else:
            texto = (f"El predio {codigo} está en la versión {actual}, pero el cambio se "
                     f"preparó sobre la versión {esperada}.{quien}")
        return ErrorConflicto(texto + " No se aplicó ningún cambio: revise el predio con "
                              f"'catastro historial {codigo}' y rehaga el cambio sobre la "
                              "versión actual.", "CONFLICTO_VERSION")

    def validar_pasos(self, pasos: list[Paso], tipos: dict[str, str]) -> list[Problema]:
        """Reglas de ``catastro validar`` sobre el catastro resultante, solo alrededor de los
        predios afectados: se validan ellos más sus vecinos y se informan los problemas que
        tocan a un predio afectado (los previos entre vecinos no bloquean)."""
        from geo.validacion import (
            _comprobar_geometrias,
            _comprobar_predios,
            convertir_columnas,
        )

        esquema = CAPAS["predios"]
        resultantes = [p for p in pasos if p.accion != "baja"]
        borrados = {p.codigo for p in pasos if p.accion == "baja"}
        afectados = {p.codigo for p in resultantes}
        if not resultantes:
            return []
        nuevos = gpd.GeoDataFrame(
            [{**p.despues, "version": p.version_despues} for p in resultantes],
            geometry=[p.geom_despues for p in resultantes], crs=self.crs)
        nuevos = normalizar_predios(nuevos, tipos)
        geoms = nuevos.geometry.to_numpy()
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        vecinos = gpd.GeoDataFrame(geometry=[], crs=self.crs)
        if ok.any():
            x0, y0, x1, y1 = shapely.total_bounds(geoms[ok])
            m = 1.0  # un metro alrededor: los que se tocan también son vecinos
            vecinos = self._predios_en_caja((x0 - m, y0 - m, x1 + m, y1 + m))
            vecinos = normalizar_predios(vecinos, tipos)
            vecinos = vecinos[~esta_en(vecinos["codigo"], afectados | borrados)]
            if len(vecinos):
                cerca = shapely.STRtree(vecinos.geometry.to_numpy()).query(
                    shapely.buffer(geoms[ok], m), predicate="intersects")[1]
                vecinos = vecinos.iloc[np.unique(cerca)]
            else:
                vecinos = vecinos.iloc[:0]
        todos = pd.concat([nuevos, vecinos.reset_index(drop=True)], ignore_index=True)
        todos = gpd.GeoDataFrame(todos, geometry="geometry", crs=self.crs)
        distrito = self._distrito()
        if distrito is not None and self.crs is not None and distrito.crs != self.crs:
            distrito = distrito.to_crs(self.crs)

        def revisar(gdf):
            gdf, probs = convertir_columnas(gdf.reset_index(drop=True), esquema)
            utiles, p2 = _comprobar_geometrias(gdf, esquema)
            return probs + p2 + _comprobar_predios(gdf, utiles, self.config, distrito)

        previos = {(p.codigo, p.elemento, p.mensaje) for p in revisar(vecinos)} \
            if len(vecinos) else set()
        problemas = [p for p in revisar(todos) if (p.codigo, p.elemento, p.mensaje) not in previos]
        return [_sobre_predio(p) for p in problemas]

    # ------------------------------------------------------------------ frontis confirmados

    def confirmar_frontis(self, confirmaciones: pd.DataFrame | list[dict], usuario: str,
                          *, instante: datetime | None = None) -> int:
        """Registra frontis confirmados en campo. Cada confirmación: ``codigo``, ``metros``
        (o ``frontis_m``), ``observacion``; opcionales ``frontis_derivado_m`` (el que se
        estaba corrigiendo) y ``expediente``. Todas o ninguna. Devuelve cuántas."""
        df = pd.DataFrame(confirmaciones).copy()
        df.columns = [str(c).strip().lower() for c in df.columns]
        if "metros" in df.columns and "frontis_m" not in df.columns:
            df = df.rename(columns={"metros": "frontis_m"})
        problemas: list[Problema] = []
        for c in ("codigo", "frontis_m", "observacion"):
            if c not in df.columns:
                problemas.append(_prob("COLUMNA_FALTANTE", "", f"Falta la columna '{c}' "
                                       "(codigo, metros, observacion).", capa="frontis"))
        if not str(usuario or "").strip():
            problemas.append(_prob("SIN_USUARIO", "", "Falta --usuario: quién confirmó.",
                                   capa="frontis"))
        if problemas:
            raise ErrorCambios(problemas)
        df["codigo"] = [_texto(v) for v in df["codigo"]]
        metros = pd.to_numeric(df["frontis_m"], errors="coerce")
        actuales = self._predios_por_codigo(sorted(set(df["codigo"].dropna())))
        versiones = dict(zip(actuales["codigo"], actuales["version"]))
        for i, f in df.iterrows():
            elem = f["codigo"] or f"#fila {i + 2}"
            if f["codigo"] is None:
                problemas.append(_prob("VALOR_FALTANTE", elem, "Falta el código.", capa="frontis"))
            elif f["codigo"] not in versiones:
                problemas.append(_prob("CODIGO_INEXISTENTE", elem, "El predio no existe en el "
                                       "catastro actual. Revise el código.", capa="frontis"))
            if pd.isna(metros[i]) or metros[i] < 0:
                problemas.append(_prob("VALOR_TIPO", elem, f"Metros '{f['frontis_m']}' no es un "
                                       "número ≥ 0.", capa="frontis"))
            if not _texto(f.get("observacion")):
                problemas.append(_prob("VALOR_FALTANTE", elem, "Falta la observación (por qué "
                                       "se confirma o corrige: visita de campo, fecha, …).",
                                       capa="frontis"))
        if df["codigo"].duplicated().any():
            for c in df.loc[df["codigo"].duplicated(), "codigo"].unique():
                problemas.append(_prob("CODIGO_DUPLICADO", c, "El predio se confirma dos veces "
                                       "en el mismo archivo; deje una fila.", capa="frontis"))
        if problemas:
            raise ErrorCambios(problemas)
        momento = instante_texto(instante)
        derivado = pd.to_numeric(df.get("frontis_derivado_m"), errors="coerce") \
            if "frontis_derivado_m" in df.columns else pd.Series(np.nan, index=df.index)
        registros = [{
            "codigo": f["codigo"],
            "frontis_m": float(metros[i]),
            "frontis_derivado_m": None if pd.isna(derivado[i]) else float(derivado[i]),
            "usuario": str(usuario).strip(),
            "instante": momento,
            "observacion": _texto(f.get("observacion")),
            "expediente": _texto(f.get("expediente")),
            "version_predio": int(versiones[f["codigo"]]),
        } for i, f in df.iterrows()]
        self._escribir_frontis(registros)
        return len(registros)

    def frontis_confirmados(self, fecha: str | date | datetime | None = None) -> pd.DataFrame:
        """La confirmación vigente de cada predio (la última hasta ``fecha``): columnas
        ``codigo``, ``frontis_confirmado_m``, ``confirmado_por``, ``confirmado_el`` (texto UTC),
        ``observacion_frontis``, ``version_predio``."""
        regs = self._registros_frontis(corte(fecha))
        cols = ["codigo", "frontis_confirmado_m", "confirmado_por", "confirmado_el",
                "observacion_frontis", "version_predio"]
        if len(regs) == 0:
            return pd.DataFrame(columns=cols)
        ult = regs.sort_values("id").drop_duplicates("codigo", keep="last")
        out = pd.DataFrame({
            "codigo": ult["codigo"].to_numpy(),
            "frontis_confirmado_m": pd.to_numeric(ult["frontis_m"]).to_numpy(dtype=float),
            "confirmado_por": ult["usuario"].to_numpy(),
            "confirmado_el": ult["instante"].to_numpy(),
            "observacion_frontis": ult["observacion"].to_numpy(),
            "version_predio": pd.to_numeric(ult["version_predio"]).astype("Int64").to_numpy(),
        })
        return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Lógica pura: armar pasos, reconstruir


def _fila(p: Problema, cambios: pd.DataFrame) -> Problema:
    """Un problema de conversión con la fila del archivo de cambios si no hay código."""
    return Problema(p.codigo, p.severidad, "cambios", p.elemento, p.mensaje, p.ubicacion)


def _sobre_predio(p: Problema) -> Problema:
    return Problema(p.codigo, p.severidad, p.capa, p.elemento,
                    p.mensaje + " (en el catastro que resultaría de los cambios)", p.ubicacion)


def armar_pasos(cambios: gpd.GeoDataFrame, actuales: pd.DataFrame,
                columnas: list[str]) -> tuple[list[Paso], list[Problema]]:
    """CAMBIOS (ya con tipos) + predios actuales (índice = código) → pasos y problemas.

    Reglas: cada código se toca una sola vez; alta = código nuevo con geometría; modificación
    y baja = código existente; subdivisión = filas con el mismo origen existente; acumulación
    = una fila con varios orígenes existentes. Las versiones dadas se comparan con las
    actuales al final (:meth:`Almacen._comprobar_versiones`).
    """
    problemas: list[Problema] = []
    pasos: list[Paso] = []
    tocados: dict[str, str] = {}
    atributos = [c for c in columnas if c in cambios.columns]
    geoms = cambios.geometry.to_numpy()

    def elem(i):
        return cambios.at[i, "codigo"] or f"#fila {i + 2}"

    def tocar(cod, que, i) -> bool:
        if cod in tocados:
            problemas.append(_prob("CAMBIO_REPETIDO", cod, f"El predio aparece en dos cambios "
                                   f"({tocados[cod]} y {que}, fila {i + 2}). Reúnalos en uno."))
            return False
        tocados[cod] = que
        return True

    def version_dada(i, k=0, n=1) -> tuple[bool, int | None]:
        partes = _lista(cambios.at[i, "version"])
        if not partes:
            return True, None
        if len(partes) not in (1, n):
            problemas.append(_prob("VERSION_INVALIDA", elem(i), f"'version' tiene {len(partes)} "
                                   f"valores para {n} predios de origen; dé uno por origen, "
                                   "separados por ';'."))
            return False, None
        try:
            return True, int(float(partes[k if len(partes) == n else 0]))
        except ValueError:
            problemas.append(_prob("VERSION_INVALIDA", elem(i), f"'version' = '{partes}' no es "
                                   "un número entero."))
            return False, None

    def actual(cod) -> tuple[dict, object, int]:
        f = actuales.loc[cod]
        return fila_atributos(f, columnas), f.geometry, int(f["version"])

    def dados(i) -> dict:
        return {c: _valor_json(cambios.at[i, c]) for c in atributos
                if _valor_json(cambios.at[i, c]) is not None}

    def geom(i):
        g = geoms[i]
        return None if g is None or shapely.is_missing(g) or shapely.is_empty(g) else g

    def esperada(i, cod, k=0, n=1):
        ok, v = version_dada(i, k, n)
        return v if v is not None else int(actuales.loc[cod, "version"]), ok

    # subdivisiones: se agrupan por origen
    subdiv: dict[str, list[int]] = {}
    for i in range(len(cambios)):
        op, cod = cambios.at[i, "operacion"], cambios.at[i, "codigo"]
        if op not in OPERACIONES:
            problemas.append(_prob("OPERACION_DESCONOCIDA", elem(i), f"Operación '{op}' "
                                   f"desconocida; use una de: {', '.join(OPERACIONES)}."))
            continue
        if cod is None:
            problemas.append(_prob("VALOR_FALTANTE", elem(i), "Falta el código catastral."))
            continue
        if op == "subdivision":
            origen = _lista(cambios.at[i, "origen"])
            if len(origen) != 1:
                problemas.append(_prob("ORIGEN_FALTANTE", cod, "Una subdivisión necesita en "
                                       "'origen' el código del predio que se subdivide (uno)."))
                continue
            subdiv.setdefault(origen[0], []).append(i)
            continue
        if op == "alta":
            if cod in actuales.index:
                problemas.append(_prob("CODIGO_EXISTENTE", cod, "El código ya existe: para "
                                       "cambiar el predio use 'modificacion'."))
                continue
            if geom(i) is None:
                problemas.append(_prob("GEOM_FALTANTE", cod, "Un alta necesita la geometría "
                                       "del predio. Dibújela."))
                continue
            if tocar(cod, op, i):
                pasos.append(Paso("alta", op, cod, None, 1, None,
                                  {**{c: None for c in columnas}, **dados(i), "codigo": cod},
                                  None, geom(i)))
        elif op in ("modificacion", "baja"):
            if cod not in actuales.index:
                problemas.append(_prob("CODIGO_INEXISTENTE", cod, f"No hay predio con ese código "
                                       f"para la {op}. Revise el código (o use 'alta')."))
                continue
            v, ok = esperada(i, cod)
            if not ok or not tocar(cod, op, i):
                continue
            antes, g0, _ = actual(cod)
            if op == "baja":
                pasos.append(Paso("baja", op, cod, v, None, antes, None, g0, None))
                continue
            despues = {**antes, **dados(i), "codigo": cod}
            for c in _lista(cambios.at[i, "borrar"]):
                if c not in columnas or c == "codigo":
                    problemas.append(_prob("COLUMNA_DESCONOCIDA", cod, f"'borrar' nombra la "
                                           f"columna '{c}', que no se puede vaciar o no existe."))
                else:
                    despues[c] = None
            g1 = geom(i) if geom(i) is not None else g0
            pasos.append(Paso("modificacion", op, cod, v, v + 1, antes, despues, g0, g1))
        elif op == "acumulacion":
            origen = _lista(cambios.at[i, "origen"])
            if len(origen) < 2:
                problemas.append(_prob("ORIGEN_FALTANTE", cod, "Una acumulación necesita en "
                                       "'origen' al menos dos códigos separados por ';'."))
                continue
            faltan = [o for o in origen if o not in actuales.index]
            if faltan:
                problemas.append(_prob("ORIGEN_INEXISTENTE", cod, f"Los predios de origen "
                                       f"{', '.join(faltan)} no existen."))
                continue
            if cod in actuales.index and cod not in origen:
                problemas.append(_prob("CODIGO_EXISTENTE", cod, "El código resultante ya existe "
                                       "y no es uno de los acumulados; use un código nuevo."))
                continue
            versiones = []
            for k, o in enumerate(origen):
                v, ok = esperada(i, o, k, len(origen))
                versiones.append(v if ok else None)
            if None in versiones:
                continue
            if not all(tocar(o, op, i) for o in origen) or (cod not in origen
                                                            and not tocar(cod, op, i)):
                continue
            base, _, _ = actual(origen[0])
            g1 = geom(i)
            if g1 is None:
                g1 = shapely.union_all([actuales.loc[o].geometry for o in origen])
                if g1.geom_type == "MultiPolygon" and len(g1.geoms) == 1:
                    g1 = g1.geoms[0]
            despues = {**_heredables(base), **dados(i), "codigo": cod}
            despues = {c: despues.get(c) for c in columnas}
            for o, v in zip(origen, versiones):
                antes, g0, _ = actual(o)
                if o == cod:
                    pasos.append(Paso("modificacion", op, o, v, v + 1, antes, despues, g0, g1,
                                      tuple(origen)))
                else:
                    pasos.append(Paso("baja", op, o, v, None, antes, None, g0, None, (cod,)))
            if cod not in origen:
                pasos.append(Paso("alta", op, cod, None, 1, None, despues, None, g1,
                                  tuple(origen)))
    for origen, filas in subdiv.items():
        if origen not in actuales.index:
            problemas.append(_prob("ORIGEN_INEXISTENTE", origen, "El predio a subdividir no "
                                   "existe. Revise 'origen'."))
            continue
        v, ok = esperada(filas[0], origen)
        if not ok:
            continue
        antes, g0, _ = actual(origen)
        hijos = []
        for i in filas:
            cod = cambios.at[i, "codigo"]
            if geom(i) is None:
                problemas.append(_prob("GEOM_FALTANTE", cod, "Cada predio resultante de una "
                                       "subdivisión necesita su geometría."))
                continue
            if cod in actuales.index and cod != origen:
                problemas.append(_prob("CODIGO_EXISTENTE", cod, "El código ya existe; un predio "
                                       "resultante de la subdivisión necesita un código nuevo "
                                       "(o el mismo del predio subdividido)."))
                continue
            if not tocar(cod, "subdivision", i):
                continue
            despues = {**_heredables(antes), **dados(i), "codigo": cod}
            hijos.append((cod, {c: despues.get(c) for c in columnas}, geom(i)))
        if len(hijos) != len(filas):
            continue
        if len(hijos) < 2:
            problemas.append(_prob("SUBDIVISION_INCOMPLETA", origen, "Una subdivisión produce al "
                                   "menos dos predios: dé una fila por cada uno."))
            continue
        codigos = [h[0] for h in hijos]
        if origen not in codigos:
            if not tocar(origen, "subdivision", filas[0]):
                continue
            pasos.append(Paso("baja", "subdivision", origen, v, None, antes, None, g0, None,
                              tuple(codigos)))
        for cod, despues, g in hijos:
            if cod == origen:
                pasos.append(Paso("modificacion", "subdivision", cod, v, v + 1, antes, despues,
                                  g0, g, (origen,)))
            else:
                pasos.append(Paso("alta", "subdivision", cod, None, 1, None, despues, None, g,
                                  (origen,)))
        union = shapely.union_all([h[2] for h in hijos])
        dif = shapely.area(shapely.symmetric_difference(union, g0))
        if dif > 1.0:
            problemas.append(_prob(
                "SUBDIVISION_AREA", origen, f"Los predios resultantes no cubren exactamente el "
                f"predio subdividido (difieren {dif:,.2f} m²). Revise los linderos.", "aviso"))
    return pasos, problemas


def _heredables(antes: dict) -> dict:
    return {c: v for c, v in antes.items() if c not in NO_HEREDADAS}


def reconstruir(actuales: gpd.GeoDataFrame, registros: pd.DataFrame, hasta: str,
                tipos: dict[str, str]) -> gpd.GeoDataFrame:
    """Predios como estaban justo antes del instante ``hasta`` (texto UTC).

    ``actuales``: predios de hoy, índice = clave interna (fid), con ``version``.
    ``registros``: historial con ``instante >= hasta`` (puede traer más; se filtra).
    Se deshacen del más reciente al más antiguo: un alta se quita, una baja se repone con sus
    atributos y geometría de antes, una modificación vuelve a ``antes``. Índice = fid.
    """
    regs = registros[registros["instante"] >= hasta].sort_values("id", ascending=False)
    if len(regs) == 0:
        return actuales
    columnas = [c for c in actuales.columns if c != actuales.geometry.name]
    geom_col = actuales.geometry.name
    por_codigo = dict(zip(actuales["codigo"], actuales.index))
    quitar: set = set()
    filas: dict = {}  # fid → (atributos, geometría)
    for r in regs.itertuples(index=False):
        fid = por_codigo.get(r.codigo)
        if fid is None:  # una baja (o un código que se volvió a usar): la fila de entonces
            fid = None if r.fid is None or pd.isna(r.fid) else int(r.fid)
        if r.accion == "alta":
            quitar.add(fid)
            filas.pop(fid, None)
            por_codigo.pop(r.codigo, None)
        else:
            antes = atributos_de_json(r.antes) or {}
            antes["version"] = r.version_antes
            filas[fid] = (antes, de_wkb(r.geom_antes))
            quitar.discard(fid)
            por_codigo[r.codigo] = fid
    base = actuales.drop(index=[f for f in quitar | set(filas) if f in actuales.index])
    if filas:
        nuevos = gpd.GeoDataFrame(
            [{c: a.get(c) for c in columnas} for a, _ in filas.values()],
            geometry=[g for _, g in filas.values()], crs=actuales.crs,
            index=pd.Index(list(filas), name=actuales.index.name))
        nuevos = nuevos.rename_geometry(geom_col) if geom_col != "geometry" else nuevos
        nuevos = normalizar_predios(nuevos, tipos)
        base = normalizar_predios(base, tipos)
        base = pd.concat([base, nuevos[list(base.columns)]])
    return gpd.GeoDataFrame(base, geometry=geom_col, crs=actuales.crs).sort_index(kind="stable")


# ---------------------------------------------------------------------------------------------
# Fábrica


def abrir(url_o_ruta: str | Path, config: Config = CONFIG) -> Almacen:
    """Abre un almacén: una ruta → GeoPackage; ``postgresql://…`` → PostGIS."""
    texto = str(url_o_ruta)
    if texto.startswith(("postgresql://", "postgres://", "PG:")):
        try:
            from geo.almacen.postgis import AlmacenPostGIS
        except ImportError as e:
            raise ErrorLectura(f"No se puede usar PostGIS en esta instalación ({e}). Instale "
                               "el extra de PostGIS o use un GeoPackage.",
                               "POSTGIS_NO_DISPONIBLE") from e
        almacen = AlmacenPostGIS(texto)
    else:
        from geo.almacen.gpkg import AlmacenGPKG

        almacen = AlmacenGPKG(texto)
    almacen.config = config
    return almacen


# ---------------------------------------------------------------------------------------------
# Presentación (común a los motores)


def leer_confirmaciones(ruta: str | Path) -> pd.DataFrame:
    """CSV de frontis confirmados (``codigo``, ``metros``, ``observacion`` [, ``expediente``,
    ``frontis_derivado_m``]); UTF-8 o latin-1, separador coma o punto y coma."""
    ruta = Path(ruta)
    if not ruta.exists():
        raise ErrorLectura(f"No existe el archivo {ruta}.", "ARCHIVO_NO_EXISTE")
    for cod in ("utf-8-sig", "latin1"):
        try:
            return pd.read_csv(ruta, dtype=str, encoding=cod, sep=None, engine="python")
        except UnicodeDecodeError:
            continue
        except Exception as e:
            raise ErrorLectura(f"No se pudo leer {ruta.name} como CSV ({str(e)[:150]}).",
                               "ARCHIVO_ILEGIBLE") from e
    raise ErrorLectura(f"No se pudo leer {ruta.name}: codificación desconocida.",
                       "ARCHIVO_ILEGIBLE")


_NOMBRE_OPERACION = {"alta": "alta", "modificacion": "modificación", "baja": "baja",
                     "subdivision": "subdivisión", "acumulacion": "acumulación"}


def _fmt(v) -> str:
    if v is None:
        return "(vacío)"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def texto_historial(registros: pd.DataFrame, codigo: str, vigente: bool) -> str:
    """Línea de tiempo en español de :meth:`Almacen.historial` (horas del Perú)."""
    lineas = [f"Historial del predio {codigo} "
              f"({'vigente' if vigente else 'ya no existe en el catastro actual'})"]
    propios = registros[registros["linaje"] == 0]
    if len(propios) == 0:
        lineas.append("  Sin cambios registrados desde que se importó el catastro.")
        return "\n".join(lineas)
    ancestros = sorted(set(registros.loc[registros["linaje"] > 0, "codigo"]))
    if ancestros:
        lineas.append(f"  Proviene de: {', '.join(ancestros)}")
    for r in registros.itertuples(index=False):
        op = _NOMBRE_OPERACION.get(r.operacion, r.operacion)
        quien = f"exp. {r.expediente} · {r.usuario}" + (f" · {r.motivo}" if r.motivo else "")
        sangria = "  " + "  " * int(r.linaje)
        marca = f"[{r.codigo}] " if r.linaje else ""
        origen = f" ({'de' if r.accion == 'alta' else 'hacia'} {r.origen.replace(';', ', ')})" \
            if r.origen else ""
        if r.accion == "alta":
            que = f"ALTA por {op}{origen}" if r.operacion != "alta" else "ALTA"
        elif r.accion == "baja":
            que = f"BAJA por {op}{origen}" if r.operacion != "baja" else "BAJA"
        else:
            que = f"MODIFICACIÓN por {op}{origen}" if r.operacion != "modificacion" \
                else "MODIFICACIÓN"
        versiones = f"v{r.version_antes or '–'}→v{r.version_despues or '–'}"
        lineas.append(f"{sangria}{hora_peru(r.instante)}  {marca}{que}  {versiones}  · {quien}")
        antes, despues = atributos_de_json(r.antes) or {}, atributos_de_json(r.despues) or {}
        if r.accion == "modificacion":
            for k in sorted(set(antes) | set(despues)):
                if antes.get(k) != despues.get(k):
                    lineas.append(f"{sangria}    {k}: {_fmt(antes.get(k))} → "
                                  f"{_fmt(despues.get(k))}")
            if r.geom_antes != r.geom_despues:
                a0, a1 = (shapely.area(de_wkb(g)) for g in (r.geom_antes, r.geom_despues))
                lineas.append(f"{sangria}    geometría: cambió (área {a0:,.2f} → {a1:,.2f} m²)")
        elif r.accion == "alta":
            resumen = ", ".join(f"{k} {_fmt(despues.get(k))}" for k in
                                ("uso", "area_terreno_m2", "area_construida_m2", "direccion")
                                if despues.get(k) is not None)
            lineas.append(f"{sangria}    {resumen}; área dibujada "
                          f"{shapely.area(de_wkb(r.geom_despues)):,.2f} m²")
    return "\n".join(lineas)


# ---------------------------------------------------------------------------------------------
# Frontis confirmados en la derivación y la tarifa (funciones puras)


def aplicar_frontis_confirmado(predios: pd.DataFrame, confirmados: pd.DataFrame) -> pd.DataFrame:
    """Predios derivados → predios con el frontis confirmado donde lo hay.

    ``predios``: ``Derivados.predios`` (``codigo``, ``frontis_m`` derivado, en metros).
    ``confirmados``: :meth:`Almacen.frontis_confirmados`. Devuelve una copia con
    ``frontis_m`` = el confirmado (o el derivado si no hay), ``frontis_derivado_m`` (siempre el
    derivado: una derivación nunca pisa lo confirmado, pero lo sigue informando),
    ``frontis_fuente`` (``"confirmado"``/``"derivado"``), ``diferencia_confirmado_m``
    (confirmado − derivado, m; vacío si no hay confirmación), ``confirmado_por``,
    ``confirmado_el`` (texto UTC) y ``observacion_frontis``. ``diferencia_frontis_m``
    (derivado − declarado) no se toca.
    """
    out = predios.copy(deep=False)  # copia superficial: pandas ≥ 3 copia al escribir
    derivado = pd.to_numeric(out["frontis_m"], errors="coerce").astype("float64")
    conf = confirmados.drop_duplicates("codigo", keep="last")
    # fila de la confirmación de cada predio (-1: sin confirmar), con un hash de Arrow: con
    # un millón de predios, Series.map tardaba ~0,3 s por columna
    fila = posiciones(out["codigo"], conf["codigo"])
    con = fila >= 0

    def de_la_confirmacion(col, tipo):  # NaN en los predios sin confirmar
        valores = np.full(len(out), np.nan, dtype=tipo)
        valores[con] = conf[col].to_numpy(dtype=tipo)[fila[con]]
        return pd.Series(valores, index=out.index, dtype=tipo)

    metros = de_la_confirmacion("frontis_confirmado_m", "float64")
    tiene = metros.notna()
    out["frontis_derivado_m"] = derivado
    out["frontis_m"] = metros.where(tiene, derivado)
    out["frontis_fuente"] = np.where(tiene, "confirmado", "derivado")
    out["diferencia_confirmado_m"] = (metros - derivado).round(2)
    for col in ("confirmado_por", "confirmado_el", "observacion_frontis"):
        out[col] = de_la_confirmacion(col, object) if len(conf) else None
    return out


def repartir_frontis_confirmado(frentes: pd.DataFrame, predios: pd.DataFrame,
                                sin_trozo: bool = True) -> pd.DataFrame:
    """Trozos de frontis (``Derivados.frentes``) escalados al frontis confirmado.

    Para cada predio con ``frontis_fuente == "confirmado"`` (ver
    :func:`aplicar_frontis_confirmado`) los metros confirmados se reparten entre sus trozos en
    proporción a su ``longitud_m`` derivada, así cada trozo conserva su sector de barrido (y su
    tasa por metro). Un predio confirmado sin trozos (la derivación no le encontró frontis)
    recibe al final un trozo sin geometría con todo el frontis (:func:`agregar_sin_trozo`; no,
    si ``sin_trozo`` es falso). Columnas nuevas: ``longitud_derivada_m`` y
    ``frontis_fuente``. Devuelve una copia.
    """
    out = frentes.copy(deep=False)  # copia superficial: pandas ≥ 3 copia al escribir
    out["longitud_derivada_m"] = pd.to_numeric(out["longitud_m"], errors="coerce")
    out["frontis_fuente"] = "derivado"
    if "frontis_fuente" not in predios.columns:
        return out
    conf = predios.loc[predios["frontis_fuente"] == "confirmado"]
    if len(conf) == 0:
        return out
    metros = pd.Series(conf["frontis_m"].to_numpy(dtype=float), index=conf["codigo"].to_numpy())
    en = esta_en(out["codigo"], metros.index)  # los trozos de predios confirmados
    if en.any():  # (si los confirmados no tienen trozos, no hay nada que escalar)
        sel = out.loc[en, ["codigo", "longitud_derivada_m"]]
        total = sel["codigo"].map(sel.groupby("codigo")["longitud_derivada_m"].sum())
        objetivo = sel["codigo"].map(metros)
        # trozos de largo 0 de un predio con suma 0: el confirmado se reparte en partes iguales
        n = sel.groupby("codigo")["codigo"].transform("size")
        out.loc[en, "longitud_m"] = np.where(
            total > 0, sel["longitud_derivada_m"] * objetivo / total.where(total > 0, 1.0),
            objetivo / n)
        out.loc[en, "frontis_fuente"] = "confirmado"
    return agregar_sin_trozo(out, predios) if sin_trozo else out


def agregar_sin_trozo(frentes: pd.DataFrame, predios: pd.DataFrame) -> pd.DataFrame:
    """``frentes`` ya repartidos (:func:`repartir_frontis_confirmado`) y, al final, un trozo
    sin geometría por cada predio confirmado que no tiene ninguno, con todo su frontis, en
    su ``sector_barrido`` si el predio lo trae (si no, queda sin sector y la tarifa no lo
    cobra: revíselo). Las filas de ``frentes`` no cambian ni de orden."""
    if "frontis_fuente" not in predios.columns:
        return frentes
    conf = predios.loc[predios["frontis_fuente"] == "confirmado"]
    sin_trozo = conf[~esta_en(conf["codigo"], frentes["codigo"])]
    if len(sin_trozo) == 0:
        return frentes
    extra = pd.DataFrame({c: [None] * len(sin_trozo) for c in frentes.columns})
    extra["codigo"] = sin_trozo["codigo"].to_numpy()
    extra["longitud_m"] = sin_trozo["frontis_m"].to_numpy(dtype=float)
    extra["longitud_derivada_m"] = 0.0
    extra["frontis_fuente"] = "confirmado"
    if "sector_barrido" in sin_trozo.columns:
        extra["sector_barrido"] = sin_trozo["sector_barrido"].to_numpy()
    if isinstance(frentes, gpd.GeoDataFrame):
        extra = gpd.GeoDataFrame(extra.drop(columns=[frentes.geometry.name]),
                                 geometry=[None] * len(extra), crs=frentes.crs)
        extra = extra.rename_geometry(frentes.geometry.name) \
            if frentes.geometry.name != "geometry" else extra
    return pd.concat([frentes, extra[list(frentes.columns)]], ignore_index=True)


def resumen_fuentes_frontis(predios: pd.DataFrame, cobro: pd.Series | None = None) -> dict:
    """Para el informe: cuántos predios (y, con ``cobro`` —monto por código— cuánto) se
    calculan sobre frontis confirmado vs derivado, y la diferencia total confirmada − derivada.
    """
    fuente = predios.get("frontis_fuente", pd.Series("derivado", index=predios.index))
    res = {"predios_confirmado": int((fuente == "confirmado").sum()),
           "predios_derivado": int((fuente != "confirmado").sum()),
           "diferencia_confirmado_m": float(
               pd.to_numeric(predios.get("diferencia_confirmado_m"), errors="coerce").sum())
           if "diferencia_confirmado_m" in predios else 0.0}
    if cobro is not None:
        m = pd.to_numeric(predios["codigo"].map(cobro), errors="coerce").fillna(0)
        res["monto_confirmado"] = float(m[fuente == "confirmado"].sum())
        res["monto_derivado"] = float(m[fuente != "confirmado"].sum())
    return res

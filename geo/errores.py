"""Errores y problemas con código estable.

Dos cosas distintas:

* ``Problema``: un hallazgo sobre los datos (validación). Se reúnen todos y se informan juntos.
* ``ErrorCatastro`` y sus subclases: algo impide seguir. La CLI los convierte en un mensaje en
  español y un código de salida: 1 = errores en los datos, 2 = no se pudo leer la entrada (o
  escribir la salida).
"""

from __future__ import annotations

import errno
from dataclasses import asdict, dataclass

SALIDA_OK = 0
SALIDA_DATOS = 1
SALIDA_LECTURA = 2


@dataclass(frozen=True)
class Problema:
    """Un problema encontrado en los datos.

    Attributes
    ----------
    codigo : código estable (p. ej. ``"GEOM_INVALIDA"``), para filtrar y automatizar.
    severidad : ``"error"`` (impide calcular arbitrios) o ``"aviso"`` (revisar).
    capa : capa donde se encontró.
    elemento : código catastral del elemento, o ``"#N"`` (índice) si no tiene código.
    mensaje : qué se encontró y cómo corregirlo, en español.
    ubicacion : punto representativo ``"x y"`` en el CRS de la capa, o vacío.
    """

    codigo: str
    severidad: str
    capa: str
    elemento: str
    mensaje: str
    ubicacion: str = ""

    def como_dict(self) -> dict:
        return asdict(self)

    def como_texto(self) -> str:
        donde = f" [{self.ubicacion}]" if self.ubicacion else ""
        elem = f" {self.elemento}" if self.elemento else ""
        return f"{self.severidad.upper()} {self.codigo} · {self.capa}{elem}: {self.mensaje}{donde}"


class ErrorCatastro(Exception):
    """Error que detiene una orden. ``codigo`` es estable; ``salida`` es el código de salida."""

    codigo = "ERROR"
    salida = SALIDA_DATOS

    def __init__(self, mensaje: str, codigo: str | None = None):
        super().__init__(mensaje)
        self.mensaje = mensaje
        if codigo:
            self.codigo = codigo


class ErrorLectura(ErrorCatastro):
    """No se pudo leer la entrada (archivo ausente, corrupto, formato desconocido)."""

    codigo = "LECTURA"
    salida = SALIDA_LECTURA


class ErrorEscritura(ErrorCatastro):
    """No se pudo escribir la salida (carpeta inexistente o sin permiso, disco lleno)."""

    codigo = "ESCRITURA"
    salida = SALIDA_LECTURA


def cuenta(n: int, singular: str, plural: str) -> str:
    """``"1 aviso"``, ``"2 avisos"``, ``"1,250 avisos"``: para los mensajes."""
    return f"{n:,} {singular if n == 1 else plural}"


def motivo_sistema(e: OSError) -> str:
    """Por qué falló una operación de archivos, en español (``e``: el error del sistema)."""
    return {
        errno.EACCES: "no tiene permiso",
        errno.EPERM: "no tiene permiso",
        errno.EROFS: "la carpeta es de solo lectura",
        errno.ENOSPC: "el disco está lleno",
        errno.ENOENT: "la carpeta o el archivo no existe",
        errno.ENOTDIR: "una parte de la ruta es un archivo, no una carpeta",
        errno.EEXIST: "ya existe un archivo con ese nombre donde hace falta una carpeta",
        errno.EISDIR: "ya hay una carpeta con ese nombre: indique un archivo",
        errno.ENAMETOOLONG: "el nombre es demasiado largo",
    }.get(e.errno, f"error del sistema {errno.errorcode.get(e.errno, e.errno)}")


class ErrorCRS(ErrorCatastro):
    """CRS ausente, geográfico donde se mide, o distinto entre capas."""

    codigo = "CRS"
    salida = SALIDA_DATOS


class ErrorDatos(ErrorCatastro):
    """Los datos no sirven para la operación pedida (columnas, valores, geometrías)."""

    codigo = "DATOS"
    salida = SALIDA_DATOS


class ErrorOrdenanza(ErrorCatastro):
    """El archivo de ordenanza falta, no se puede leer o tiene una clave inválida."""

    codigo = "ORDENANZA"
    salida = SALIDA_LECTURA


class ErrorConflicto(ErrorCatastro):
    """Otro usuario cambió el predio después de la versión en que se basó el cambio."""

    codigo = "CONFLICTO"
    salida = SALIDA_DATOS

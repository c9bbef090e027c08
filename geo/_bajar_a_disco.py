"""Proceso auxiliar: manda al disco, cada tanto, lo ya escrito en un archivo.

Lo lanza :func:`geo.memoria.bajando_a_disco` mientras GDAL escribe un GeoPackage grande. Cada
``CADA_S`` segundos llama a ``sync_file_range(SYNC_FILE_RANGE_WRITE)`` de Linux sobre el
archivo: el núcleo empieza a escribir en el disco las páginas sucias, sin esperar a que
termine. Así el ``fsync`` del final (:func:`geo.capas.archivo_atomico`) solo espera lo último.
Un hilo no serviría: GDAL retiene el GIL mientras escribe. Si el archivo aún no existe, espera
a que aparezca. Termina cuando se cierra su entrada estándar (o muere quien lo lanzó).
Solo usa la biblioteca estándar (y :mod:`geo.memoria`, que tampoco importa más).

Uso: ``python -m geo._bajar_a_disco ARCHIVO CADA_S``
"""

from __future__ import annotations

import ctypes
import os
import select
import sys
from collections.abc import Callable

from geo.memoria import _libc  # solo biblioteca estándar: el proceso arranca en seguida

SYNC_FILE_RANGE_WRITE = 2  # linux/fs.h: empezar a escribir, sin esperar


def _sync_file_range() -> Callable[[int], object] | None:
    """``fd → sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)``, o None fuera de Linux."""
    funcion = getattr(_libc(), "sync_file_range", None)
    if funcion is None:
        return None
    funcion.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    funcion.restype = ctypes.c_int
    return lambda fd: funcion(fd, 0, 0, SYNC_FILE_RANGE_WRITE)


def vigilar(ruta: str, cada_s: float, entrada: int, bajar: Callable[[int], object]) -> int:
    """Cada ``cada_s`` segundos, ``bajar(fd)`` sobre ``ruta`` (si ya existe), hasta que el
    descriptor ``entrada`` llegue al final. Devuelve cuántas veces bajó."""
    fd = None
    veces = 0
    try:
        while True:
            listo, _, _ = select.select([entrada], [], [], cada_s)
            if listo and not os.read(entrada, 4096):
                return veces
            if fd is None:
                try:
                    fd = os.open(ruta, os.O_RDONLY)
                except OSError:  # GDAL aún no lo crea
                    continue
            bajar(fd)
            veces += 1
    finally:
        if fd is not None:
            os.close(fd)


def main(argv: list[str]) -> int:
    bajar = _sync_file_range()
    if bajar is None:  # fuera de Linux: el fsync del final lo hace todo
        return 0
    vigilar(argv[1], float(argv[2]), sys.stdin.fileno(), bajar)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

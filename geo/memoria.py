"""Memoria del proceso y caché de disco, para que un trabajo grande pida menos páginas nuevas.

En una máquina virtual, cada página de memoria que el sistema entrega por primera vez (o que
ya devolvió al anfitrión) se pone en cero a un costo alto: ~2,7 s de CPU por GB en la de
desarrollo. Con un millón de predios eso pesa tanto como el cálculo mismo. Aquí:

- :func:`ajustar_malloc`: una arena de malloc por núcleo, para que lo que libera un hilo lo
  reuse otro, y los bloques grandes del montón en vez de ``mmap``, para que se reusen;
- :func:`devolver_memoria_libre`: antes de una escritura grande, la memoria libre del montón
  vuelve al sistema, que la da a la caché del archivo que se escribe o a un proceso nuevo;
- :func:`soltar_cache`: la caché de un archivo que se va a reemplazar queda libre para el
  nuevo.

Fuera de Linux con glibc no hacen nada.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import sys

_M_ARENA_MAX = -8  # parámetros de mallopt (malloc.h de glibc)
_M_MMAP_MAX = -4


@functools.cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def ajustar_malloc(arenas: int | None = None) -> None:
    """Ajusta malloc de glibc para un trabajo grande con hilos; llamarla antes de lanzarlos.

    - Como mucho ``arenas`` arenas (por omisión, una por núcleo). glibc da a cada hilo que
      reserva memoria su propia arena, hasta 8 por núcleo, y lo que un hilo libera en la suya
      no lo reusa otro: con los hilos de :func:`geo.derivaciones.derivar` eso son páginas
      nuevas que el sistema debe poner en cero. Con un millón de predios: pico de ~3,1 a
      ~2,8 GB, tiempo de sistema de ~8,7 a ~6,3 s, mediana de ``catastro derivar`` de ~28,9
      a ~27,2 s (5 corridas; con una sola arena los hilos se estorban: ~29 s).
    - Sin ``mmap`` para los bloques grandes (``M_MMAP_MAX = 0``): glibc pide con ``mmap``
      cada bloque de más de 32 MB (casi todos los arreglos de numpy con un millón de filas) y
      lo devuelve al liberarlo, así que el siguiente arreglo igual vuelve a pedir páginas
      nuevas. Desde el montón, el bloque liberado se reusa. Con un millón de predios:
      ~1 s menos de ``catastro derivar`` (3 pares de corridas alternadas: 28,3–28,7 s contra
      29,1–30,0 s), ~1,4 s menos de tiempo de sistema, y pico de ~2,7 a ~3,1 GB.

    En otros sistemas no hace nada.
    """
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return
    libc.mallopt(_M_ARENA_MAX, int(arenas or os.cpu_count() or 1))
    libc.mallopt(_M_MMAP_MAX, 0)


@functools.cache
def _malloc_trim():
    libc = _libc()
    return getattr(libc, "malloc_trim", None)  # otra libc (musl) o sin ella: no hace falta


def devolver_memoria_libre() -> None:
    """``malloc_trim(0)`` de glibc: devuelve al sistema la memoria libre del montón (no toca
    la que está en uso). En otros sistemas no hace nada. Tarda ~0,02 s con 1 GB libre."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def soltar_cache(ruta) -> None:
    """Saca de la caché de disco las páginas de ``ruta`` (si existe), que se va a reemplazar:
    el archivo queda igual en el disco, y esas páginas quedan libres para el archivo nuevo que
    se está escribiendo (en una máquina virtual, más baratas que páginas nunca usadas)."""
    if not hasattr(os, "posix_fadvise"):
        return
    try:
        fd = os.open(ruta, os.O_RDONLY)
    except OSError:  # no existe todavía, o no se puede leer: nada que soltar
        return
    try:
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)

/* Rows -> the bytes of a COPY, compiled: the client's formatting of an hour's rows is half of its work
 * on a write in Python (about 150 ns per cell) and a few nanoseconds per cell here.
 *
 * Text format: the twin of devstats_sync.copy_format's Python formatter, which defines the format.
 * copy_lines(rows, kinds, limits, cell, number) -> bytes
 *   rows:   a sequence of tuples, one value per column
 *   kinds:  bytes, one per column: b'n' number, b'b' boolean, b's' anything else (written as text)
 *   limits: one int per column: the varchar width (0: none)
 *   cell:   cell(value, limit) -> str, the Python formatter's escaped, cut text of an unusual value
 *   number: number(value) -> str, the Python formatter's text of a number that is not an int
 *
 * The common values (None, ints, booleans, strings within their width) are formatted here; every
 * other value goes to the same Python functions the Python formatter calls, and text is encoded as
 * UTF-8 with unencodable characters (lone surrogates) replaced, as the writer encodes the Python
 * formatter's text. So both give the same bytes for any row, which the unit tests check.
 *
 * Binary format (copy_binary): the same values, in PostgreSQL's binary COPY format, which the server
 * reads without parsing text (a timestamp's text is the costliest to read). Only for values the
 * binary form holds exactly as the server would read their text: ints in their column's range,
 * floats, booleans, strings (cut to their varchar width, NUL dropped, valid UTF-8) and timestamps
 * written YYYY-MM-DDTHH:MM:SS[.ffffff] with a valid date and time. For any other value it returns
 * None and the writer sends the rows as text, so the server reads, or refuses, what the text says.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef struct {
    char *data;
    Py_ssize_t length;
    Py_ssize_t capacity;
} Buffer;

static int
buffer_reserve(Buffer *buffer, Py_ssize_t more)
{
    if (buffer->length + more <= buffer->capacity) {
        return 0;
    }
    Py_ssize_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->length + more) {
        capacity *= 2;
    }
    char *data = PyMem_Realloc(buffer->data, capacity);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->data = data;
    buffer->capacity = capacity;
    return 0;
}

static int
buffer_append(Buffer *buffer, const char *bytes, Py_ssize_t size)
{
    if (buffer_reserve(buffer, size) < 0) {
        return -1;
    }
    memcpy(buffer->data + buffer->length, bytes, size);
    buffer->length += size;
    return 0;
}

/* What COPY text format needs escaped: backslash, tab, newline, carriage return; NUL, which no
 * PostgreSQL text can hold, is dropped. */
static unsigned char special[256];

static int
append_escaped(Buffer *buffer, const char *text, Py_ssize_t size)
{
    /* An escape doubles a byte at most. */
    if (buffer_reserve(buffer, 2 * size) < 0) {
        return -1;
    }
    char *out = buffer->data + buffer->length;
    const unsigned char *in = (const unsigned char *)text;
    const unsigned char *end = in + size;
    while (in < end) {
        const unsigned char *run = in;
        while (in < end && !special[*in]) {
            in++;
        }
        memcpy(out, run, in - run);
        out += in - run;
        if (in == end) {
            break;
        }
        switch (*in) {
        case '\\': *out++ = '\\'; *out++ = '\\'; break;
        case '\t': *out++ = '\\'; *out++ = 't'; break;
        case '\n': *out++ = '\\'; *out++ = 'n'; break;
        case '\r': *out++ = '\\'; *out++ = 'r'; break;
        default: break; /* NUL */
        }
        in++;
    }
    buffer->length = out - buffer->data;
    return 0;
}

/* A str from Python (already escaped and cut) as UTF-8, lone surrogates replaced. */
static int
append_python_text(Buffer *buffer, PyObject *text)
{
    if (text == NULL) {
        return -1;
    }
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "the Python formatter returned %R, not a str", text);
        Py_DECREF(text);
        return -1;
    }
    PyObject *encoded = PyUnicode_AsEncodedString(text, "utf-8", "replace");
    Py_DECREF(text);
    if (encoded == NULL) {
        return -1;
    }
    int status = buffer_append(buffer, PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded));
    Py_DECREF(encoded);
    return status;
}

static int
append_integer(Buffer *buffer, PyObject *value)
{
    int overflow = 0;
    long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (number == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow) {
        return append_python_text(buffer, PyObject_Str(value));
    }
    char digits[24];
    char *end = digits + sizeof(digits);
    char *start = end;
    unsigned long long magnitude = number < 0 ? 0ULL - (unsigned long long)number : (unsigned long long)number;
    do {
        *--start = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (number < 0) {
        *--start = '-';
    }
    return buffer_append(buffer, start, end - start);
}

static int
append_text(Buffer *buffer, PyObject *value, Py_ssize_t limit, PyObject *cell)
{
    if (PyUnicode_CheckExact(value) && (limit == 0 || PyUnicode_GET_LENGTH(value) <= limit)) {
        Py_ssize_t size;
        const char *utf8 = PyUnicode_AsUTF8AndSize(value, &size);
        if (utf8 != NULL) {
            return append_escaped(buffer, utf8, size);
        }
        /* A lone surrogate: cell() and the encoder's replacement, as for the Python formatter. */
        PyErr_Clear();
    }
    PyObject *limit_object = PyLong_FromSsize_t(limit);
    if (limit_object == NULL) {
        return -1;
    }
    PyObject *text = PyObject_CallFunctionObjArgs(cell, value, limit_object, NULL);
    Py_DECREF(limit_object);
    return append_python_text(buffer, text);
}

/* The varchar widths of the columns, one per column, as a C array (PyMem_Free it); NULL on error. */
static Py_ssize_t *
read_limits(PyObject *limits_tuple, Py_ssize_t columns, const char *function)
{
    if (PyTuple_GET_SIZE(limits_tuple) != columns || columns > 0x7fff) {
        PyErr_Format(PyExc_ValueError, "%s: one limit per column, at most 32767 columns", function);
        return NULL;
    }
    Py_ssize_t *limits = PyMem_New(Py_ssize_t, columns ? columns : 1);
    if (limits == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t index = 0; index < columns; index++) {
        limits[index] = PyLong_AsSsize_t(PyTuple_GET_ITEM(limits_tuple, index));
        if (limits[index] == -1 && PyErr_Occurred()) {
            PyMem_Free(limits);
            return NULL;
        }
    }
    return limits;
}

static PyObject *
copy_lines(PyObject *module, PyObject *args)
{
    PyObject *rows, *cell, *number, *limits_tuple;
    const char *kinds;
    Py_ssize_t columns;
    if (!PyArg_ParseTuple(args, "Oy#O!OO:copy_lines", &rows, &kinds, &columns, &PyTuple_Type, &limits_tuple,
                          &cell, &number)) {
        return NULL;
    }
    Py_ssize_t *limits = read_limits(limits_tuple, columns, "copy_lines");
    if (limits == NULL) {
        return NULL;
    }
    PyObject *sequence = PySequence_Fast(rows, "copy_lines: rows must be a sequence");
    if (sequence == NULL) {
        PyMem_Free(limits);
        return NULL;
    }
    Buffer buffer = {NULL, 0, 0};
    Py_ssize_t count = PySequence_Fast_GET_SIZE(sequence);
    PyObject **items = PySequence_Fast_ITEMS(sequence);
    for (Py_ssize_t row_index = 0; row_index < count; row_index++) {
        PyObject *row = items[row_index];
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != columns) {
            PyErr_Format(PyExc_ValueError, "copy_lines: row %zd is %R, not a tuple of %zd values", row_index, row,
                         columns);
            goto error;
        }
        for (Py_ssize_t index = 0; index < columns; index++) {
            PyObject *value = PyTuple_GET_ITEM(row, index);
            if (index && buffer_append(&buffer, "\t", 1) < 0) {
                goto error;
            }
            int status;
            if (value == Py_None) {
                status = buffer_append(&buffer, "\\N", 2);
            } else if (kinds[index] == 'n') {
                status = PyLong_CheckExact(value)
                    ? append_integer(&buffer, value)
                    : append_python_text(&buffer, PyObject_CallOneArg(number, value));
            } else if (kinds[index] == 'b') {
                int truth = PyObject_IsTrue(value);
                status = truth < 0 ? -1 : buffer_append(&buffer, truth ? "t" : "f", 1);
            } else {
                status = append_text(&buffer, value, limits[index], cell);
            }
            if (status < 0) {
                goto error;
            }
        }
        if (buffer_append(&buffer, "\n", 1) < 0) {
            goto error;
        }
    }
    Py_DECREF(sequence);
    PyMem_Free(limits);
    PyObject *result = PyBytes_FromStringAndSize(buffer.data, buffer.length);
    PyMem_Free(buffer.data);
    return result;

error:
    Py_DECREF(sequence);
    PyMem_Free(limits);
    PyMem_Free(buffer.data);
    return NULL;
}


/* ---- binary format ---- */

static const char binary_header[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0',
                                       0, 0, 0, 0, 0, 0, 0, 0};

static int
put_be(Buffer *buffer, unsigned long long value, int bytes)
{
    if (buffer_reserve(buffer, bytes) < 0) {
        return -1;
    }
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
        buffer->data[buffer->length++] = (char)((value >> shift) & 0xff);
    }
    return 0;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long long
days_from_civil(long long year, unsigned month, unsigned day)
{
    year -= month <= 2;
    const long long era = (year >= 0 ? year : year - 399) / 400;
    const unsigned year_of_era = (unsigned)(year - era * 400);
    const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + (long long)day_of_era - 719468;
}

static int
digits(const char *text, int count)
{
    int value = 0;
    for (int index = 0; index < count; index++) {
        if (text[index] < '0' || text[index] > '9') {
            return -1;
        }
        value = value * 10 + (text[index] - '0');
    }
    return value;
}

/* Microseconds from 2000-01-01 (PostgreSQL's epoch) of YYYY-MM-DDTHH:MM:SS[.f{1,6}]; 0 when the text
 * is not of that form or not a valid date and time, 1 when *micros is set. */
static int
parse_timestamp(const char *text, Py_ssize_t size, long long *micros)
{
    if (size < 19 || size == 20 || size > 26 || text[4] != '-' || text[7] != '-' || text[10] != 'T'
        || text[13] != ':' || text[16] != ':') {
        return 0;
    }
    int year = digits(text, 4), month = digits(text + 5, 2), day = digits(text + 8, 2);
    int hour = digits(text + 11, 2), minute = digits(text + 14, 2), second = digits(text + 17, 2);
    if (year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
        || second < 0 || second > 59) {
        return 0;
    }
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > month_days[month - 1] + (month == 2 && leap)) {
        return 0;
    }
    long long fraction = 0;
    if (size > 19) {
        if (text[19] != '.') {
            return 0;
        }
        int places = (int)size - 20;
        int value = digits(text + 20, places);
        if (value < 0) {
            return 0;
        }
        fraction = value;
        for (int place = places; place < 6; place++) {
            fraction *= 10;
        }
    }
    long long days = days_from_civil(year, (unsigned)month, (unsigned)day) - 10957;
    *micros = ((days * 24 + hour) * 60 + minute) * 60 * 1000000LL + second * 1000000LL + fraction;
    return 1;
}

/* 1: appended; 0: a value the binary form cannot hold as its text would be read; -1: error. */
static int
append_binary_value(Buffer *buffer, PyObject *value, char kind, Py_ssize_t limit)
{
    if (value == Py_None) {
        return put_be(buffer, 0xffffffffULL, 4) < 0 ? -1 : 1;
    }
    switch (kind) {
    case 'q':
    case 'i':
    case 'h': {
        if (!PyLong_CheckExact(value)) {
            return 0;
        }
        int overflow = 0;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (number == -1 && PyErr_Occurred()) {
            return -1;
        }
        int bytes = kind == 'q' ? 8 : kind == 'i' ? 4 : 2;
        long long bound = bytes == 8 ? 0 : 1LL << (8 * bytes - 1);
        if (overflow || (bound && (number < -bound || number >= bound))) {
            return 0;
        }
        if (put_be(buffer, (unsigned long long)bytes, 4) < 0) {
            return -1;
        }
        return put_be(buffer, (unsigned long long)number, bytes) < 0 ? -1 : 1;
    }
    case 'd': {
        double number;
        if (PyFloat_CheckExact(value)) {
            number = PyFloat_AS_DOUBLE(value);
        } else if (PyLong_CheckExact(value)) {
            number = PyLong_AsDouble(value);
            if (number == -1.0 && PyErr_Occurred()) {
                PyErr_Clear();
                return 0;
            }
        } else {
            return 0;
        }
        if (number == 0.0) {
            number = 0.0; /* -0.0 too: the text form writes an integral float as an int, "0" */
        }
        unsigned long long bits;
        memcpy(&bits, &number, sizeof(bits));
        if (put_be(buffer, 8, 4) < 0) {
            return -1;
        }
        return put_be(buffer, bits, 8) < 0 ? -1 : 1;
    }
    case 'b': {
        int truth = PyObject_IsTrue(value);
        if (truth < 0 || put_be(buffer, 1, 4) < 0 || put_be(buffer, (unsigned long long)truth, 1) < 0) {
            return -1;
        }
        return 1;
    }
    case 't': {
        if (!PyUnicode_CheckExact(value) || !PyUnicode_IS_ASCII(value)) {
            return 0;
        }
        long long micros;
        if (!parse_timestamp((const char *)PyUnicode_DATA(value), PyUnicode_GET_LENGTH(value), &micros)) {
            return 0;
        }
        if (put_be(buffer, 8, 4) < 0) {
            return -1;
        }
        return put_be(buffer, (unsigned long long)micros, 8) < 0 ? -1 : 1;
    }
    default: { /* 's': text and varchar */
        if (!PyUnicode_CheckExact(value)) {
            return 0;
        }
        PyObject *text = value;
        Py_INCREF(text);
        if (limit && PyUnicode_GET_LENGTH(value) > limit) {
            Py_DECREF(text);
            text = PyUnicode_Substring(value, 0, limit);
            if (text == NULL) {
                return -1;
            }
        }
        Py_ssize_t size;
        const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
        if (utf8 == NULL) { /* a lone surrogate: the text path replaces it */
            PyErr_Clear();
            Py_DECREF(text);
            return 0;
        }
        Py_ssize_t length_at = buffer->length;
        int status = put_be(buffer, (unsigned long long)size, 4) < 0 ? -1 : 1;
        if (status == 1 && buffer_reserve(buffer, size) < 0) {
            status = -1;
        }
        if (status == 1) {
            /* NUL, which no PostgreSQL text holds, is dropped as the text format drops it. */
            char *out = buffer->data + buffer->length;
            const char *end = utf8 + size;
            const char *nul;
            while ((nul = memchr(utf8, 0, end - utf8)) != NULL) {
                memcpy(out, utf8, nul - utf8);
                out += nul - utf8;
                utf8 = nul + 1;
            }
            memcpy(out, utf8, end - utf8);
            out += end - utf8;
            Py_ssize_t written = out - (buffer->data + buffer->length);
            buffer->length += written;
            if (written != size) {
                Py_ssize_t saved = buffer->length;
                buffer->length = length_at;
                put_be(buffer, (unsigned long long)written, 4); /* reserved above: cannot fail */
                buffer->length = saved;
            }
        }
        Py_DECREF(text);
        return status;
    }
    }
}

static PyObject *
copy_binary(PyObject *module, PyObject *args)
{
    PyObject *rows, *limits_tuple;
    const char *kinds;
    Py_ssize_t columns;
    if (!PyArg_ParseTuple(args, "Oy#O!:copy_binary", &rows, &kinds, &columns, &PyTuple_Type, &limits_tuple)) {
        return NULL;
    }
    Py_ssize_t *limits = read_limits(limits_tuple, columns, "copy_binary");
    if (limits == NULL) {
        return NULL;
    }
    PyObject *sequence = PySequence_Fast(rows, "copy_binary: rows must be a sequence");
    if (sequence == NULL) {
        PyMem_Free(limits);
        return NULL;
    }
    Buffer buffer = {NULL, 0, 0};
    PyObject *result = NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(sequence);
    PyObject **items = PySequence_Fast_ITEMS(sequence);
    if (buffer_append(&buffer, binary_header, sizeof(binary_header)) < 0) {
        goto done;
    }
    for (Py_ssize_t row_index = 0; row_index < count; row_index++) {
        PyObject *row = items[row_index];
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != columns) {
            PyErr_Format(PyExc_ValueError, "copy_binary: row %zd is %R, not a tuple of %zd values", row_index,
                         row, columns);
            goto done;
        }
        if (put_be(&buffer, (unsigned long long)columns, 2) < 0) {
            goto done;
        }
        for (Py_ssize_t index = 0; index < columns; index++) {
            int status = append_binary_value(&buffer, PyTuple_GET_ITEM(row, index), kinds[index], limits[index]);
            if (status < 0) {
                goto done;
            }
            if (status == 0) {
                result = Py_NewRef(Py_None);
                goto done;
            }
        }
    }
    if (put_be(&buffer, 0xffffULL, 2) < 0) {
        goto done;
    }
    result = PyBytes_FromStringAndSize(buffer.data, buffer.length);

done:
    Py_DECREF(sequence);
    PyMem_Free(limits);
    PyMem_Free(buffer.data);
    return result;
}

static PyMethodDef methods[] = {
    {"copy_lines", copy_lines, METH_VARARGS,
     "copy_lines(rows, kinds, limits, cell, number) -> bytes: rows in COPY text format, UTF-8."},
    {"copy_binary", copy_binary, METH_VARARGS,
     "copy_binary(rows, kinds, limits) -> bytes | None: rows in COPY binary format, or None where a value "
     "needs the text format."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_copy_lines", "Rows -> COPY text or binary format, compiled (see copy_format).", -1, methods,
};

PyMODINIT_FUNC
PyInit__copy_lines(void)
{
    special['\\'] = special['\t'] = special['\n'] = special['\r'] = special[0] = 1;
    return PyModule_Create(&module_definition);
}

"""The library's JSON API and its two HTML pages."""
import json
import logging
import os

from django.db import transaction
from django.db.models import Count, F, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from library.forms import BookForm
from library.models import Book, Loan

log = logging.getLogger(__name__)


def healthz(request):
    return JsonResponse({"ok": True})


def whoami(request):
    return JsonResponse({"pid": os.getpid()})


def not_found(request, exception=None):
    return JsonResponse({"error": "not found", "path": request.path}, status=404)


def server_error(request):
    return JsonResponse({"error": "internal error"}, status=500)


def error(message, status, **details):
    return JsonResponse({"error": message, **details}, status=status)


@csrf_exempt  # a JSON API for other services: no browser session, so no CSRF cookie
@require_http_methods(["GET", "POST"])
def books(request):
    if request.method == "POST":
        try:
            data = json.loads(request.body)
        except ValueError:
            return error("body is not JSON", 400)
        form = BookForm(data)
        if not form.is_valid():
            return error("invalid book", 400, fields=form.errors.get_json_data())
        book = form.save()
        log.info("new book %s (%s)", book.pk, book.isbn)
        return JsonResponse(book.as_dict(), status=201)
    active = Count("loans", filter=Q(loans__returned_at__isnull=True))
    found = Book.objects.select_related("author").annotate(available_copies=F("copies") - active)
    if "author" in request.GET:
        found = found.filter(author__name__icontains=request.GET["author"])
    return JsonResponse({"books": [book.as_dict(book.available_copies) for book in found]})


@require_GET
def book(request, book_id):
    return JsonResponse(get_object_or_404(Book.objects.select_related("author"), pk=book_id).as_dict())


@csrf_exempt
@require_POST
def lend(request, book_id):
    borrower = json.loads(request.body or "{}").get("borrower", "").strip()
    if not borrower:
        return error("borrower is required", 400)
    with transaction.atomic():
        # Row lock: two workers lending the last copy at once cannot both succeed.
        found = get_object_or_404(Book.objects.select_for_update(), pk=book_id)
        if found.available() <= 0:
            return error("no copy available", 409, book=found.pk)
        loan = Loan.objects.create(book=found, borrower=borrower)
    return JsonResponse(loan.as_dict(), status=201)


@csrf_exempt
@require_POST
def give_back(request, loan_id):
    with transaction.atomic():
        loan = get_object_or_404(Loan.objects.select_for_update(), pk=loan_id)
        if loan.returned_at is not None:
            return error("already returned", 409, loan=loan.pk)
        loan.returned_at = timezone.now()
        loan.save(update_fields=["returned_at"])
    return JsonResponse(loan.as_dict())


@require_http_methods(["GET", "POST"])
def new_book(request):
    form = BookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("book-page", book_id=form.save().pk)
    return render(request, "library/book_form.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def book_page(request, book_id):
    found = get_object_or_404(Book.objects.select_related("author"), pk=book_id)
    return render(request, "library/book_detail.html", {"book": found, "available": found.available()})

"""Validation of new books: the HTML form and the JSON API share it."""
from django import forms

from library.models import Author, Book


def isbn13_is_valid(isbn):
    if len(isbn) != 13 or not isbn.isdigit():
        return False
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(isbn[:12]))
    return (10 - total % 10) % 10 == int(isbn[12])


class BookForm(forms.ModelForm):
    author_name = forms.CharField(max_length=100)

    class Meta:
        model = Book
        fields = ["title", "isbn", "copies"]

    def clean_isbn(self):
        isbn = self.cleaned_data["isbn"].replace("-", "")
        if not isbn13_is_valid(isbn):
            raise forms.ValidationError("not a valid ISBN-13")
        return isbn

    def clean_copies(self):
        copies = self.cleaned_data["copies"]
        if not 1 <= copies <= 50:
            raise forms.ValidationError("between 1 and 50 copies")
        return copies

    def save(self, commit=True):
        book = super().save(commit=False)
        book.author, _ = Author.objects.get_or_create(name=self.cleaned_data["author_name"].strip())
        if commit:
            book.save()
        return book
